"""The HTTP JSON API: thin routes over the services, errors as RFC 9457 problem documents."""
