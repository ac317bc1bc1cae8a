"""What both HTTP fronts share: the JSON API (``api/``) and the web UI (``web/``) import from
here and never from each other; ``medledger.app`` builds the one application above both."""
