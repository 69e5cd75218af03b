"""What drf-spectacular cannot guess about the API for /api/schema/."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Personal API tokens (ppm.api.auth.TokenAuthentication): `Authorization: Bearer cnd_…`,
    made, named, given an expiry and revoked by their owner at /accounts/tokens/."""

    target_class = "ppm.api.auth.TokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from /accounts/tokens/ (cnd_…).",
        }
