"""The headers every answer carries (not in the book; see the README): what a browser may load into
the blog's pages, and what it may do with them."""

# Google's reCAPTCHA, when configured, loads its script and its frame from these places.
RECAPTCHA_SOURCES = 'https://www.google.com/recaptcha/ https://www.gstatic.com/recaptcha/'


def content_security_policy(config):
    """What the pages may load: only this site's own files (Bootstrap is served locally, and no
    template has an inline script or style), no plugins, and no other site may frame them. In
    development, with the debug toolbar, inline scripts and styles too."""
    policy = [
        "default-src 'self'",
        # Bootstrap's CSS draws some icons (checkboxes, selects) from data: URLs.
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
    scripts = []
    if config.get('RECAPTCHA_PUBLIC_KEY'):
        scripts.append(RECAPTCHA_SOURCES)
        policy.append("frame-src " + RECAPTCHA_SOURCES)
    if config.get('DEBUG_TB_ENABLED'):
        # Development only: the debug toolbar writes inline scripts and styles into every page.
        scripts.append("'unsafe-inline'")
        policy.append("style-src 'self' 'unsafe-inline'")
    if scripts:
        policy.append(' '.join(["script-src 'self'"] + scripts))
    return '; '.join(policy)


def add_security_headers(app):
    """The headers on every answer of `app`: pages, errors and static files alike (a view that sets
    one of them, as the admin's pages do their own policy, keeps its own)."""
    csp = content_security_policy(app.config)
    hsts = app.config.get('STRICT_TRANSPORT_SECURITY')

    @app.after_request
    def security_headers(response):
        response.headers.setdefault('Content-Security-Policy', csp)
        response.headers.setdefault('X-Content-Type-Options', 'nosniff')
        response.headers.setdefault('X-Frame-Options', 'DENY')  # frame-ancestors, for old browsers
        response.headers.setdefault('Referrer-Policy', 'strict-origin-when-cross-origin')
        if hsts:
            response.headers.setdefault('Strict-Transport-Security', hsts)
        return response
