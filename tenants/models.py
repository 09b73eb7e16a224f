"""Members (the tenants), their domains, and who may work where."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from .districts import district_choices

SLUG_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"


class MemberKind(models.TextChoices):
    PUBLIC = "public", "Consortium (public schema)"
    TEMPLATE = "template", "Template for new members"
    MEMBER = "member", "Member organisation"


class MemberQuerySet(models.QuerySet):
    def active(self) -> MemberQuerySet:
        return self.filter(is_active=True)


# A member that has left and whose schema has been dropped (rights.exit_services) keeps its
# row (agreements, events and the audit log name it) under a schema name no slug can give
# (schema names made from slugs have no hyphen), so nothing takes it for a live schema.
DROPPED_SCHEMA_PREFIX = "dropped-"


class SchemasManager(models.Manager.from_queryset(MemberQuerySet)):
    """The default manager: every row with a schema, which is what django-tenants'
    ``migrate_schemas`` migrates (a dropped member's row has none left to migrate)."""

    def get_queryset(self) -> MemberQuerySet:
        return super().get_queryset().exclude(schema_name__startswith=DROPPED_SCHEMA_PREFIX)


class OrganisationsManager(models.Manager.from_queryset(MemberQuerySet)):
    """Member organisations only: application code never sees the public or template rows."""

    def get_queryset(self) -> MemberQuerySet:
        return super().get_queryset().filter(kind=MemberKind.MEMBER)


class Member(TenantMixin):
    """A member organisation, with its own PostgreSQL schema.

    The default manager keeps the template's row so django-tenants migrates the template
    schema too (it leaves out only members whose schema was dropped when they left);
    application code uses ``Member.organisations``.
    """

    kind = models.CharField(max_length=10, choices=MemberKind.choices, default=MemberKind.MEMBER)
    name = models.CharField(max_length=200)
    slug = models.CharField(
        "web address",
        max_length=40,
        unique=True,
        validators=[
            RegexValidator(
                SLUG_PATTERN,
                "Use lower-case letters, digits and single hyphens, starting with a letter.",
            )
        ],
    )
    charity_number = models.CharField(max_length=20, blank=True)
    company_number = models.CharField(max_length=20, blank=True)
    district = models.CharField(max_length=40, blank=True, choices=district_choices())
    is_active = models.BooleanField(default=True)
    # Managers, consortium admins and researchers always need a second factor; this asks
    # the member's staff for one too (tenants.mfa.second_factor_required).
    staff_second_factor_required = models.BooleanField(
        "ask staff for a second factor", default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Single sign-on (tenants.sso): True when the member's own provider already demands a
    # second factor, so a sign-in through it counts as one and Commons does not ask again.
    sso_enforces_mfa = models.BooleanField("the provider enforces a second factor", default=False)

    objects = SchemasManager()
    organisations = OrganisationsManager()

    # Provisioning clones the template inside its own transaction (tenants.provisioning).
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        permissions = [
            ("administer_consortium", "Can onboard members and set consortium-wide rules"),
            ("access_research", "Can work with pooled research datasets"),
            (
                "lead_data_protection",
                "Can route people's data-rights requests and breaches across members",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind__in=["public", "template"]),
                name="member_one_public_one_template",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def primary_domain_name(self) -> str | None:
        domain = self.get_primary_domain()
        return domain.domain if domain else None


class SignOnKind(models.TextChoices):
    MICROSOFT = "microsoft", "Microsoft 365"
    GOOGLE = "google", "Google Workspace"
    OTHER = "oidc", "Another OpenID Connect provider"


class MemberSignOn(models.Model):
    """A member's own single sign-on provider: which allauth SocialApp its staff sign in
    through (tenants.sso). Public schema, like the app it points at."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="sign_on")
    app = models.OneToOneField(
        "socialaccount.SocialApp", on_delete=models.PROTECT, related_name="member_sign_on"
    )
    kind = models.CharField(max_length=10, choices=SignOnKind.choices)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"single sign-on of {self.member} ({self.get_kind_display()})"


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain


class Role(models.TextChoices):
    STAFF = "staff", "Staff"
    MANAGER = "manager", "Manager"


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        """Memberships that give access: a suspended one gives none (tenants.review_services)."""
        return self.filter(suspended_at__isnull=True)


class Membership(models.Model):
    """Where a user may work, and as what. Removing it never removes the user account.

    A suspended membership (``suspended_at`` set) stays, so a manager can reinstate it, but
    gives no access; ``confirmed_at`` is when a manager last said the person still needs it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.CharField(max_length=200, blank=True)
    # Issue 14: a data protection lead answers people's rights requests for this member (a
    # role beside manager or staff, so a manager can be one, and so can a staff member).
    is_data_protection_lead = models.BooleanField("data protection lead", default=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "member"], name="membership_once_per_member")
        ]
        ordering = ["member__name"]

    def __str__(self) -> str:
        return f"{self.user} at {self.member} ({self.get_role_display()})"

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class SignInHandoff(models.Model):
    """A single-use, short-lived ticket that signs a user in on another host.

    Browsers keep one session cookie per host (they refuse ``Domain=.localhost``), so moving
    from the consortium site to a member's site hands the sign-in over with one of these.
    Only a hash of the ticket is stored.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, null=True, related_name="+")
    next_path = models.CharField(max_length=500, default="/")
    expires_at = models.DateTimeField()
    # allauth's record of the second factor the issuing session passed ({"id", "type", "at"}),
    # or None: the receiving site's session gets the same record, never a better one.
    second_factor = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-in hand-over for user {self.user_id} (until {self.expires_at:%H:%M:%S})"


# What each audit action code means, in plain words (the code itself is never shown).
AUDIT_ACTIONS = {
    "access_review.recorded": "Access review recorded",
    "account.locked": "Account locked after too many wrong passwords",
    "account.password_changed": "Password changed",
    "account.sign_in_failed": "Sign-in failed",
    "account.signed_in": "Signed in",
    "account.sso_linked": "Single sign-on linked to an account",
    "account.sso_refused": "Single sign-on refused",
    "account.unlocked": "Account unlocked",
    "api_token.renewed": "API token replaced",
    "api_token.used": "API token used",
    "booking.approved": "Booking approved",
    "booking.cancelled": "Booking cancelled",
    "booking.declined": "Booking declined",
    "booking.moved": "Booking moved",
    "booking.placed": "Booking made",
    "breach.changed": "Breach details or assessment changed",
    "breach.closed": "Breach closed",
    "breach.decided": "Decision about a breach recorded",
    "breach.noted": "Note added to a breach by an affected member",
    "breach.recorded": "Breach recorded",
    "breach.reported": "Breach reported to the ICO",
    "calendar_key.created": "Personal calendar address made",
    "calendar_key.renewed": "Personal calendar address renewed",
    "consortium.data_protection_lead_added": "Named a consortium data protection lead",
    "consortium.data_protection_lead_removed": "No longer a consortium data protection lead",
    "contact.deleted": "Contact deleted",
    "contact.erased": "People erased from the CRM (data-rights request)",
    "contact.legal_hold_lifted": "Legal hold lifted from a contact",
    "contact.legal_hold_placed": "Contact put on legal hold",
    "contact.merged": "Contacts merged",
    "contact.processing_restricted": "Contact's processing restricted (data-rights request)",
    "contact.processing_restriction_lifted": "Restriction of a contact's processing lifted",
    "contact.restricted": "Contact restricted",
    "contact.restricted_access_granted": "Colleague allowed to see a restricted contact",
    "contact.restricted_access_revoked": "Colleague no longer allowed to see a restricted contact",
    "contact.unrestricted": "Contact no longer restricted",
    "copy_notice.closed": "Notice about a copy dealt with",
    "copy_notice.sent": "Members told to erase or correct their copies",
    "disclosures.purged": "Old disclosure records removed",
    "event.attendance": "Attendance recorded",
    "event.cancelled": "Event cancelled",
    "event.changed": "Event changed",
    "event.created": "Event created",
    "event.published": "Event published",
    "import.finished": "Import finished",
    "interaction.changed": "Interaction changed",
    "interaction.deleted": "Interaction deleted",
    "interaction.legal_hold_lifted": "Legal hold lifted from an interaction",
    "interaction.legal_hold_placed": "Interaction put on legal hold",
    "invitation.accepted": "Invitation accepted and password chosen",
    "invitation.renewal_asked": "New invitation link asked for",
    "member.created": "Member added",
    "member.mfa_required_changed": "Second factor requirement for staff changed",
    "member.sso_removed": "Single sign-on turned off",
    "member.sso_set": "Single sign-on set up or changed",
    "member.updated": "Member details changed",
    "member_exit.cancelled": "Member's exit cancelled and its site reopened",
    "member_exit.confirmed": "Member's leaving confirmed",
    "member_exit.dropped": "Leaving member's data deleted (certificate issued)",
    "member_exit.export_declined": "Complete export declined by the leaving member",
    "member_exit.export_downloaded": "Complete export downloaded",
    "member_exit.export_started": "Complete export of the member's data started",
    "member_exit.imported": "Another member's complete export imported",
    "membership.added": "Person added to the team",
    "membership.confirmed": "Confirmed as still needing access",
    "membership.data_protection_lead_set": "Named a data protection lead",
    "membership.data_protection_lead_unset": "No longer a data protection lead",
    "membership.invited": "Person invited to the team",
    "membership.reinstated": "Suspended access given back",
    "membership.removed": "Person removed from the team",
    "membership.role_changed": "Role changed",
    "membership.suspended": "Access suspended",
    "mfa.added": "Second factor added",
    "mfa.removed": "Second factor removed",
    "mfa.reset": "Second factor reset by a consortium admin",
    "organisation.deleted": "Organisation deleted",
    "organisation.legal_hold_lifted": "Legal hold lifted from an organisation",
    "organisation.legal_hold_placed": "Organisation put on legal hold",
    "organisation.merged": "Organisations merged",
    "organisation_relationship.changed": "Link between organisations changed",
    "organisation_relationship.created": "Link between organisations added",
    "organisation_relationship.deleted": "Link between organisations removed",
    "person.erased": "Person erased everywhere Commons reaches (data-rights request)",
    "processing.activity_changed": "Record of processing activity changed",
    "registration.anonymised": "Registrations of an erased person anonymised",
    "registration.booked": "Contact booked onto an event",
    "registration.cancelled": "Place at an event cancelled",
    "registration.signed_up": "Signed up on a public event page",
    "report.saved": "Report saved",
    "research.dataset_created": "Research dataset created",
    "research.disclosure_settings": "Disclosure settings changed",
    "research.output_released_on_review": "Research output released on review",
    "research.project_created": "Research project created",
    "research.terms_set": "Research terms set",
    "resource.changed": "Room or resource changed",
    "resource.created": "Room or resource added",
    "retention.run_finished": "Retention run finished",
    "retention.run_requested": "Retention run started by hand",
    "retention.run_stopped": "Retention run stopped with an error",
    "retention.schedule_changed": "Retention schedule changed",
    "rights.pack_built": "Subject access pack built",
    "rights.pack_downloaded": "Subject access pack downloaded (its file deleted)",
    "rights.pack_rebuilt": "Subject access pack built again (the earlier copy replaced)",
    "rights.person_looked_up": "Person looked up across members (details not kept)",
    "rights.request_closed": "People's request closed",
    "rights.request_extended": "People's request deadline extended",
    "rights.request_opened": "People's request opened",
    "rights.request_routed": "People's request looked up again",
    "rights.task_declined": "Member's part of a people's request declined",
    "rights.task_done": "Member's part of a people's request done",
    "session.ended": "Signed out of a session",
    "sharing.agreement_template_created": "Agreement template added",
    "sharing.organisation_linked": "Shared organisation linked to one of ours",
    "sharing.rule_changed": "Sharing rule changed",
    "sharing.standing_not_joined": "Standing agreement not joined",
    "sharing.standing_not_offered": "Standing agreement not offered",
    "survey_response.redacted": "Erased person's name taken out of survey answers",
    "surveys.definition_copied": "Survey sent to other members",
    "surveys.invitations_sent": "Organisations invited to a survey",
    "surveys.question_added": "Survey question added",
    "surveys.response_entered": "Survey answers entered by staff",
    "surveys.section_added": "Survey section added",
    "surveys.survey_created": "Survey created",
    "surveys.wave_created": "New year of a survey started",
    "surveys.wave_status_changed": "Survey opened, closed or back to draft",
    "tag.added_in_bulk": "Tag added to chosen records",
    "tag.created": "Tag made",
    "tag.removed_in_bulk": "Tag removed from chosen records",
    "user.erased": "Person's account erased",
}


# The audit actions that are security events: shown on the security pages
# (tenants.security_views) to a member's managers for their member, to consortium admins for all.
SECURITY_ACTIONS = frozenset(
    {
        "access_review.recorded",
        "account.locked",
        "account.password_changed",
        "account.sign_in_failed",
        "account.signed_in",
        "account.sso_linked",
        "account.sso_refused",
        "account.unlocked",
        "api_token.renewed",
        "api_token.used",
        "invitation.accepted",
        "invitation.renewal_asked",
        "member.mfa_required_changed",
        "member.sso_removed",
        "member.sso_set",
        "membership.added",
        "membership.confirmed",
        "membership.invited",
        "membership.reinstated",
        "membership.removed",
        "membership.role_changed",
        "membership.suspended",
        "mfa.added",
        "mfa.removed",
        "mfa.reset",
        "session.ended",
    }
)


class AuditEntry(models.Model):
    """What was done to members and memberships, by whom and when. Append-only.

    Plain ids, no foreign keys: erasing a person or offboarding a member never touches it.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_id = models.BigIntegerField(null=True)
    member_id = models.BigIntegerField(null=True, db_index=True)
    action = models.CharField(max_length=60)
    target = models.CharField(max_length=200, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target}"

    @property
    def action_label(self) -> str:
        """The action in plain words; a code with no wording yet is turned into words."""
        words = self.action.replace(".", " ").replace("_", " ")
        return AUDIT_ACTIONS.get(self.action, words.capitalize())


class AccessReview(models.Model):
    """A member's managers' periodic look at who has access (issue 13: a quarterly review).

    The counts are as the page showed them when the review was recorded.
    """

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="access_reviews")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField()
    people_count = models.PositiveIntegerField(default=0)
    dormant_count = models.PositiveIntegerField(default=0)
    suspended_count = models.PositiveIntegerField(default=0)
    without_second_factor_count = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["-completed_at", "-id"]

    def __str__(self) -> str:
        return f"access review of {self.member} on {self.completed_at:%Y-%m-%d}"


class AccountInvitation(models.Model):
    """An e-mailed link that lets a newly invited person choose their password, once, before
    ``expires_at``. Only a hash of the link's token is stored."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    renewal_asked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"invitation for membership {self.membership_id} (until {self.expires_at:%Y-%m-%d})"
