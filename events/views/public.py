"""The consortium site's pages that need no sign-in: a public event's sign-up form, and the
private page (its link sent by e-mail) where someone who signed up can cancel."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from events import selectors, services
from events.forms import SignUpForm
from events.models import Registration
from events.times import when_text
from tenants.forms import form_errors_add
from tenants.limits import EVENT_SIGN_UP, limit_allows


def _sign_up_allowed(request: HttpRequest, form: SignUpForm) -> bool:
    """Refuse robot-filled forms (the hidden field), and floods from one address or for one
    e-mail address (settings.ACCOUNT_RATE_LIMITS["event_sign_up"], counted in the shared
    cache by the client's real address)."""
    if form.cleaned_data.get("website"):
        form.add_error(None, "Your booking could not be taken. Please try again.")
        return False
    email = str(form.cleaned_data.get("email", "")).strip().lower()
    if not limit_allows(request, action=EVENT_SIGN_UP, key=f"email:{email}"):
        form.add_error(None, "Too many bookings from your connection or for that e-mail "
                             "address in the last hour: please try again later, or contact "
                             "the host.")  # fmt: skip
        return False
    return True


@login_not_required
@require_http_methods(["GET", "POST"])
def public_event(request: HttpRequest, uid: UUID) -> HttpResponse:
    event = selectors.public_events().filter(uid=uid).first()
    if event is None:
        raise Http404("No such public event.")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _sign_up_allowed(request, form):
        try:
            registration = services.registration_public(
                acting_user=request.user,
                event=event,
                **{k: v for k, v in form.cleaned_data.items() if k != "website"},
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            return redirect("public_registration", registration.token)
    return render(
        request,
        "events/public_event.html",
        {
            "event": event,
            "form": form,
            "when": when_text(event.starts_at, event.ends_at),
            "closed_reason": selectors.registration_open(event),
        },
        status=400 if form.errors else 200,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def public_registration(request: HttpRequest, token: UUID) -> HttpResponse:
    if request.method == "POST":
        try:
            services.registration_cancel_by_token(acting_user=request.user, token=token)
        except Registration.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Your booking is cancelled. Thank you for letting us know.")
        return redirect("public_registration", token)
    registration = selectors.registration_by_token(token=token)
    if registration is None:
        raise Http404
    event = registration.event
    return render(
        request,
        "events/public_registration.html",
        {
            "registration": registration,
            "event": event,
            "when": when_text(event.starts_at, event.ends_at),
        },
    )
