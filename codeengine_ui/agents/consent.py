"""The authorization endpoint: the toolkit's view with our consent page and our rules on
top of its own. PKCE must be S256; a `resource` (RFC 8707) must name this console's MCP
endpoint; every connection is approved on the page (neither a client nor an
application's settings can skip it), by a member or above, who chooses the functions the
client may use. Only two answers go back to the client: the code after Allow, and
`access_denied` after Deny; every error in a request is shown on the console's page."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import get_application_model
from oauth2_provider.views import AuthorizationView
from oauthlib.oauth2.rfc6749 import errors

from codeengine_ui.access.roles import Role, has_role

from .authorization_errors import error_in_answer, error_page_context
from .connections import approve
from .discovery import names_this_resource
from .forms import ConsentForm
from .redirect_uris import form_action_source, shown_host

VIEWER_REFUSAL = (
    "Your role does not run functions, so an assistant could do nothing as you: ask an "
    "admin to make you a member."
)


def request_refusal(request, code_challenge_method: str, resources: list[str]):
    """The OAuth error that stops an authorization request the toolkit let through."""
    if code_challenge_method != "S256":
        return errors.InvalidRequestError(
            description="PKCE with code_challenge_method=S256 is required."
        )
    if foreign := [uri for uri in resources if not names_this_resource(uri, request)]:
        return errors.CustomOAuth2Error(
            error="invalid_target",
            description=f"This console issues tokens for its MCP endpoint only, not {foreign[0]}.",
        )
    return None


class _ConsentSkipped(Exception):
    """The toolkit was about to answer a request without showing the page."""


class ConsentView(AuthorizationView):
    template_name = "agents/consent.html"
    form_class = ConsentForm
    denied = False

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except _ConsentSkipped:
            # The toolkit stored everything the page shows before trying to skip it.
            return self.render_to_response(self.get_context_data(**self.oauth2_data))

    def create_authorization_response(self, request, scopes, credentials, allow):
        # The toolkit issues a code without the page for an application marked
        # skip_authorization, or with approval_prompt=auto for a client already holding
        # a token: a code comes only from the answer to the page.
        if request.method != "POST":
            raise _ConsentSkipped
        answer = super().create_authorization_response(request, scopes, credentials, allow)
        if (error := error_in_answer(answer[0], credentials["redirect_uri"])) is not None:
            raise OAuthToolkitError(error=error)
        return answer

    def error_response(self, error, application, **kwargs):
        oauth_error = error.oauthlib_error
        if self.denied and isinstance(oauth_error, errors.AccessDeniedError):
            return super().error_response(error, application, **kwargs)
        return self.render_to_response(
            error_page_context(oauth_error), status=oauth_error.status_code
        )

    def validate_authorization_request(self, request):
        scopes, credentials = super().validate_authorization_request(request)
        refusal = request_refusal(
            request, credentials.get("code_challenge_method", ""), request.GET.getlist("resource")
        )
        if refusal is not None:
            raise OAuthToolkitError(error=refusal)
        return scopes, credentials

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = form.cleaned_data
        application = _application(data["client_id"])
        if application is None or not application.redirect_uri_allowed(data["redirect_uri"]):
            form.add_error(None, "This request does not come from a registered client.")
            return self.form_invalid(form)
        resources = data.get("resource", "").split()
        refusal = request_refusal(self.request, data.get("code_challenge_method", ""), resources)
        if refusal is not None:
            return self.error_response(OAuthToolkitError(error=refusal), application)
        if data["allow"] and not has_role(self.request.user, Role.MEMBER):
            form.add_error(None, VIEWER_REFUSAL)
            return self.form_invalid(form)
        self.denied = not data["allow"]
        with transaction.atomic():
            response = super().form_valid(form)
            if data["allow"] and self.success_url:  # the code was issued
                approve(self.request.user, application, form.chosen_functions())
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        application = context.get("application") or _application(form["client_id"].value())
        redirect_uri = context.get("redirect_uri") or form["redirect_uri"].value() or ""
        if application is None or not application.redirect_uri_allowed(redirect_uri):
            redirect_uri = ""
        context.update(
            application=application,
            redirect_uri=redirect_uri,
            redirect_host=shown_host(redirect_uri) if redirect_uri else "",
            may_connect=has_role(self.request.user, Role.MEMBER),
            viewer_refusal=VIEWER_REFUSAL,
        )
        return context

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if redirect_uri := context.get("redirect_uri"):
            # The answer to the form redirects to the client, which the form-action
            # directive must allow (browsers apply it to the redirect too).
            form_action = [*settings.SECURE_CSP["form-action"], form_action_source(redirect_uri)]
            response._csp_config = {**settings.SECURE_CSP, "form-action": form_action}
        return response

    def redirect(self, redirect_to, application):
        """Back to the client, at an address it registered (the toolkit checked it): https,
        http on loopback, or its private-use scheme."""
        application = application or _application(self.request.GET.get("client_id"))
        schemes = {"https"}
        if application is not None:
            schemes |= {urlsplit(uri).scheme for uri in application.redirect_uris.split()}
        return OAuth2ResponseRedirect(redirect_to, sorted(schemes))


def _application(client_id):
    if not client_id:
        return None
    return get_application_model().objects.filter(client_id=client_id).first()
