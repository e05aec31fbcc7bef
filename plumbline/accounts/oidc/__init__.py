"""Single sign-on with OpenID Connect (mozilla-django-oidc), off unless OIDC_ISSUER is set.

config.py: the role a user's groups give (pure, also read by settings.py); provider.py: the issuer's
discovery document, fetched at the first sign-in and kept; backend.py: the checks on the ID token and
the user it signs in; views.py: start, callback and logout.
"""
