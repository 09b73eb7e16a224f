"""Pages for members, memberships and signing in across sites.

Views parse, authorise, call one service or selector, and render.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from . import mfa, selectors, services
from .confirm import confirmation_page
from .forms import (
    DataProtectionLeadForm,
    InviteForm,
    MemberCreateForm,
    RoleForm,
    StaffSecondFactorForm,
    form_errors_add,
)
from .invitation_mail import invitation_email_send
from .invitation_services import membership_invite_with_link
from .limit_views import team_locks
from .limits import HANDOFF, limit_allows
from .models import Member, Membership, Role
from .permissions import (
    can_manage_people,
    consortium_admin_required,
    is_consortium_admin,
    member_adder_required,
    permission_require,
)
from .sites import site_member, site_url

# --- the consortium site -------------------------------------------------------------


@login_required
def consortium_home(request: HttpRequest) -> HttpResponse:
    memberships = list(selectors.memberships_of(user=request.user))
    admin = is_consortium_admin(request.user)
    if not admin and len(memberships) == 1 and not request.GET.get("pick"):
        return _handoff_redirect(request, memberships[0].member, "/")
    context = {
        "memberships": memberships,
        "suspended": list(selectors.memberships_suspended_of(user=request.user)),
    }
    if admin:
        search = request.GET.get("q", "").strip()
        page = Paginator(selectors.member_list_for_admin(search=search), 25).get_page(
            request.GET.get("page")
        )
        context.update(
            page=page, search=search, audit=selectors.audit_recent(limit=8),
            member_total=Member.organisations.count(),
        )  # fmt: skip
    return render(request, "tenants/consortium_home.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@member_adder_required
def member_add(request: HttpRequest) -> HttpResponse:
    form = MemberCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"{member.name} is ready at {member.primary_domain_name}.")
            return redirect("member_detail", slug=member.slug)
    from .onboarding import joining_terms

    return render(
        request,
        "tenants/member_form.html",
        {"form": form, "base_domain": settings.BASE_DOMAIN, "joining": joining_terms()},
    )


@login_required
@require_http_methods(["GET", "POST"])
@consortium_admin_required
def member_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A member as consortium admins see it; they may invite its people (e.g. its first manager)."""
    try:
        member = selectors.member_get_by_slug(slug=slug)
    except Member.DoesNotExist as exc:
        raise Http404 from exc
    form = InviteForm(request.POST or None, initial={"role": Role.MANAGER})
    if request.method == "POST" and form.is_valid():
        try:
            invited = membership_invite_with_link(
                member=member, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            invitation_email_send(request=request, invited=invited, inviter=request.user)
            name = invited.membership.user.get_full_name()
            messages.success(request, f"{name} has been invited.")
            return redirect("member_detail", slug=member.slug)
    team = list(selectors.team_of(member=member))
    return render(
        request,
        "tenants/member_detail.html",
        {
            "member": member,
            "team": team_locks(team),
            "second_factor_ids": mfa.users_with_second_factor(user_ids=[ms.user_id for ms in team]),
            "audit": selectors.audit_recent(member=member, limit=20),
            "site": site_url(request, member),
            "form": form,
        },
    )


def _handoff_redirect(request: HttpRequest, member: Member | None, next_path: str):
    try:
        token = services.handoff_issue(
            member=member, acting_user=request.user, next_path=next_path,
            second_factor=mfa.session_second_factor(request),
        )  # fmt: skip
    except ValidationError as exc:  # this session has not used the person's second factor
        messages.info(request, exc.messages[0])
        return redirect(f"{reverse('mfa_reauthenticate')}?next={request.path}")
    return redirect(site_url(request, member, f"/accounts/handoff/?token={token}"))


@login_required
def go_to_member(request: HttpRequest, slug: str) -> HttpResponse:
    """Sign the user in on a member's site they belong to, without asking again."""
    membership = selectors.memberships_of(user=request.user).filter(member__slug=slug).first()
    if membership is None:
        raise Http404("You do not work at that member.")
    return _handoff_redirect(request, membership.member, "/")


HANDOFF_SPENT = "That sign-in link has expired or was already used. Sign in here."
HANDOFF_LIMITED = "Too many sign-in links have been tried from your connection. Sign in here."


@login_not_required
@require_http_methods(["GET", "POST"])
def handoff_accept(request: HttpRequest) -> HttpResponse:
    """Redeem a single-use sign-in ticket minted by another of our sites.

    A GET only shows whose account the ticket is for and asks to continue; the POST (with
    this site's CSRF token) signs in. A link that signed people in on GET would let a page
    elsewhere sign a visitor into someone else's account (login CSRF).
    """
    member = site_member(request)
    token = (request.POST if request.method == "POST" else request.GET).get("token", "")
    if not limit_allows(request, action=HANDOFF):
        messages.error(request, HANDOFF_LIMITED)
        return redirect(settings.LOGIN_URL)
    if request.method == "GET":
        account = selectors.handoff_peek(token=token, member=member)
        if account is None:
            messages.error(request, HANDOFF_SPENT)
            return redirect(settings.LOGIN_URL)
        return render(
            request, "tenants/handoff_confirm.html",
            {"account": account, "token": token, "site_member": member},
        )  # fmt: skip
    try:
        redeemed = services.handoff_redeem(
            token=token,
            member=member,
            acting_user=request.user if request.user.is_authenticated else None,
        )
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("/")
    if redeemed is None:
        messages.error(request, HANDOFF_SPENT)
        return redirect(settings.LOGIN_URL)
    user, next_path, second_factor = redeemed
    login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
    if second_factor is not None:
        mfa.session_second_factor_record(request, user, second_factor)
    if not url_has_allowed_host_and_scheme(next_path, allowed_hosts={request.get_host()}):
        next_path = "/"
    return redirect(next_path)


@login_required
@require_http_methods(["GET", "POST"])
@consortium_admin_required
def consortium_data_protection_leads(request: HttpRequest) -> HttpResponse:
    """Consortium admins name the consortium's data protection leads: the people who find a
    person across members and route their requests."""
    form = DataProtectionLeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = selectors.account_find(username_or_email=form.cleaned_data["account"])
        if account is None:
            form.add_error("account", services.NO_SUCH_ACCOUNT)
        else:
            services.consortium_data_protection_lead_add(user=account, acting_user=request.user)
            messages.success(
                request,
                f"{account.get_full_name() or account.username} is now a consortium data "
                "protection lead. They sign in with a second factor.",
            )
            return redirect("consortium_dp_leads")
    return render(request, "tenants/consortium_dp_leads.html", {
        "leads": list(selectors.consortium_data_protection_leads()), "form": form,
    })  # fmt: skip


@login_required
@require_POST
@consortium_admin_required
def consortium_data_protection_lead_remove(request: HttpRequest, user_id: int) -> HttpResponse:
    account = selectors.consortium_data_protection_leads().filter(pk=user_id).first()
    if account is None:
        raise Http404
    name = account.get_full_name() or account.username
    asking = confirmation_page(
        request, title=f"Stop {name} being a consortium data protection lead?",
        consequences=[f"{name} can no longer look people up across members or see their "
                      "requests.", "Requests they opened stay as they are."],
        button="Remove the role", back=reverse("consortium_dp_leads"),
        base_template="consortium_base.html",
    )  # fmt: skip
    if asking is not None:
        return asking
    services.consortium_data_protection_lead_remove(user=account, acting_user=request.user)
    messages.success(request, f"{name} is no longer a consortium data protection lead.")
    return redirect("consortium_dp_leads")


# --- a member's site ---------------------------------------------------------------


def switch_member(request: HttpRequest) -> HttpResponse:
    """Back to the consortium site's picker, still signed in."""
    return _handoff_redirect(request, None, "/?pick=1")


def team(request: HttpRequest) -> HttpResponse:
    member = request.tenant
    manager = can_manage_people(request.user, member)
    form = InviteForm(request.POST or None) if manager else None
    if request.method == "POST":
        permission_require(manager)
        if form.is_valid():
            try:
                invited = membership_invite_with_link(
                    member=member, acting_user=request.user, **form.cleaned_data
                )
            except ValidationError as exc:
                form_errors_add(form, exc)
            else:
                invitation_email_send(request=request, invited=invited, inviter=request.user)
                messages.success(
                    request,
                    f"{invited.membership.user.get_full_name()} can now work here. "
                    "We have e-mailed them how to sign in.",
                )
                return redirect("team")
    return render(
        request,
        "tenants/team.html",
        {"team": team_locks(list(selectors.team_of(member=member))), "form": form,
         "can_manage": manager, "role_form": RoleForm(),
         "mfa_form": StaffSecondFactorForm(
             initial={"required": member.staff_second_factor_required}, prefix="mfa"
         ) if manager else None},
    )  # fmt: skip


def membership_or_404(request: HttpRequest, membership_id: int) -> Membership:
    try:
        return selectors.membership_get_for_member(
            member=request.tenant, membership_id=membership_id
        )
    except Membership.DoesNotExist as exc:
        raise Http404 from exc


@require_POST
def team_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = membership_or_404(request, membership_id)  # not found before not allowed
    permission_require(can_manage_people(request.user, request.tenant))
    name = membership.user.get_full_name() or membership.user.username
    asking = confirmation_page(
        request, title=f"Remove {name} from {request.tenant.name}?",
        consequences=[f"{name} can no longer sign in to {request.tenant.name}.",
                      "Their account and the records they made are kept."],
        button=f"Remove {name}", back=reverse("team"),
    )  # fmt: skip
    if asking is not None:
        return asking
    try:
        services.membership_remove(membership=membership, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{membership.user.get_full_name() or membership.user.username} no longer works here. "
            "Their account and the records they made are kept.",
        )
    if membership.user_id == request.user.pk:
        return redirect(site_url(request, None, "/"))
    return redirect("team")


@require_POST
def team_set_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = membership_or_404(request, membership_id)  # not found before not allowed
    permission_require(can_manage_people(request.user, request.tenant))
    form = RoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_set_role(
                membership=membership, role=form.cleaned_data["role"], acting_user=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Role updated.")
    return redirect("team")


@require_POST
def team_set_data_protection_lead(request: HttpRequest, membership_id: int) -> HttpResponse:
    """A manager names a colleague a data protection lead here, or stops naming them."""
    membership = membership_or_404(request, membership_id)  # not found before not allowed
    permission_require(can_manage_people(request.user, request.tenant))
    is_lead = request.POST.get("lead") == "1"
    services.membership_set_data_protection_lead(
        membership=membership, is_lead=is_lead, acting_user=request.user
    )
    name = membership.user.get_full_name() or membership.user.username
    messages.success(
        request,
        f"{name} is now a data protection lead here." if is_lead
        else f"{name} is no longer a data protection lead here.",
    )  # fmt: skip
    return redirect("team")


@login_not_required
def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    """A personal API token: shown once when made; making a new one revokes the old."""
    new_key = None
    if request.method == "POST":
        new_key = services.api_token_renew(acting_user=request.user).key
    return render(
        request,
        "tenants/api_token.html",
        {"has_token": selectors.api_token_exists(user=request.user), "new_key": new_key},
    )
