"""Survey pages on a member's site: staff define surveys, invite organisations and see
responses; an invited organisation answers through its own link without signing in."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from crm.models import Organisation
from tenants.forms import form_errors_add

from . import selectors, services
from .forms import InviteForm, QuestionForm, SectionForm, SurveyForm, WaveForm
from .models import Invitation, QuestionKind, Response, Survey, Wave, WaveStatus


def _wave_or_404(wave_id: int) -> Wave:
    try:
        return Wave.objects.select_related("survey").get(pk=wave_id)
    except Wave.DoesNotExist as exc:
        raise Http404 from exc


@require_http_methods(["GET", "POST"])
def survey_list(request: HttpRequest) -> HttpResponse:
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_create(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"“{survey.title}” is ready: add its questions.")
            return redirect("surveys:wave_detail", wave_id=survey.waves.get().pk)
    return render(request, "surveys/survey_list.html",
                  {"surveys": selectors.survey_list(), "form": form})  # fmt: skip


@require_http_methods(["GET", "POST"])
def survey_detail(request: HttpRequest, survey_id: int) -> HttpResponse:
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise Http404
    form = WaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            wave = services.wave_create(survey=survey, acting_user=request.user,
                                        **form.cleaned_data)  # fmt: skip
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, f"The {wave.year} wave starts with last year's questions.")
            return redirect("surveys:wave_detail", wave_id=wave.pk)
    waves = [(w, selectors.wave_coverage(wave=w)[-1]) for w in survey.waves.all()]
    return render(request, "surveys/survey_detail.html",
                  {"survey": survey, "waves": waves, "form": form})  # fmt: skip


def wave_detail(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave_or_404(wave_id)
    sections = list(wave.sections.prefetch_related("questions"))
    invitations = Paginator(selectors.wave_invitations(wave=wave), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "surveys/wave_detail.html", {
        "wave": wave, "sections": sections, "coverage": selectors.wave_coverage(wave=wave),
        "page": invitations, "responses": selectors.wave_responses(wave=wave)[:50],
        "section_form": SectionForm(), "question_form": QuestionForm(sections=sections),
        "invite_form": InviteForm(), "site": request.build_absolute_uri("/")[:-1],
    })  # fmt: skip


@require_POST
def wave_questions(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave_or_404(wave_id)
    sections = list(wave.sections.all())
    if "section-only" in request.POST:
        form: Any = SectionForm(request.POST)
        if form.is_valid():
            try:
                services.section_add(wave=wave, acting_user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, "Section added.")
                return redirect("surveys:wave_detail", wave_id=wave.pk)
        return _wave_with(request, wave, section_form=form)
    form = QuestionForm(request.POST, sections=sections)
    if form.is_valid():
        data = dict(form.cleaned_data)
        section = next(s for s in sections if s.pk == data.pop("section"))
        try:
            services.question_add(wave=wave, section=section, acting_user=request.user, **data)
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, "Question added.")
            return redirect("surveys:wave_detail", wave_id=wave.pk)
    return _wave_with(request, wave, question_form=form)


def _wave_with(request: HttpRequest, wave: Wave, **forms: Any) -> HttpResponse:
    sections = list(wave.sections.prefetch_related("questions"))
    context = {
        "wave": wave, "sections": sections, "coverage": selectors.wave_coverage(wave=wave),
        "page": Paginator(selectors.wave_invitations(wave=wave), 50).get_page(1),
        "responses": selectors.wave_responses(wave=wave)[:50],
        "section_form": SectionForm(), "question_form": QuestionForm(sections=sections),
        "invite_form": InviteForm(), "site": request.build_absolute_uri("/")[:-1],
    }  # fmt: skip
    context |= forms
    return render(request, "surveys/wave_detail.html", context, status=400)


@require_POST
def wave_status(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave_or_404(wave_id)
    status = request.POST.get("status", "")
    if status not in WaveStatus.values:
        raise Http404
    try:
        services.wave_set_status(wave=wave, status=status, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The wave is now {wave.get_status_display().lower()}.")
    return redirect("surveys:wave_detail", wave_id=wave.pk)


@require_POST
def wave_invite(request: HttpRequest, wave_id: int) -> HttpResponse:
    wave = _wave_or_404(wave_id)
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a locality from the list.")
        return redirect("surveys:wave_detail", wave_id=wave.pk)
    organisations = Organisation.objects.all()
    if form.cleaned_data["district"]:
        organisations = organisations.filter(district=form.cleaned_data["district"])
    if form.cleaned_data["tag"]:
        organisations = organisations.filter(tags__name=form.cleaned_data["tag"])
    ids = list(organisations.values_list("pk", flat=True))
    count = services.invitations_create(wave=wave, organisation_ids=ids, acting_user=request.user)
    messages.success(request, f"{count} organisations invited; each has its own link below.")
    return redirect("surveys:wave_detail", wave_id=wave.pk)


def _raw_answers(request: HttpRequest, wave: Wave) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for question in wave.questions.all():
        name = f"q-{question.code}"
        if question.kind == QuestionKind.MULTIPLE:
            raw[question.code] = request.POST.getlist(name)
        else:
            raw[question.code] = request.POST.get(name, "")
    return raw


def _questionnaire(wave: Wave, answers: dict[str, Any], errors: dict[str, list[str]]) -> list:
    """Sections with their questions, each carrying its current answer and errors."""
    sections = []
    for section in wave.sections.prefetch_related("questions"):
        items = []
        for q in section.questions.all():
            value = answers.get(q.code, [] if q.kind == QuestionKind.MULTIPLE else "")
            items.append({"q": q, "value": value, "values": value if isinstance(value, list)
                          else [str(value)], "errors": errors.get(q.code, [])})  # fmt: skip
        sections.append({"section": section, "items": items})
    return sections


@require_http_methods(["GET", "POST"])
def response_enter(request: HttpRequest, wave_id: int, organisation_id: int) -> HttpResponse:
    wave = _wave_or_404(wave_id)
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None:
        raise Http404
    existing = Response.objects.filter(wave=wave, organisation=organisation).first()
    answers: dict[str, Any] = dict(existing.answers) if existing else {}
    consent = existing.research_consent if existing else False
    errors: dict[str, list[str]] = {}
    problem = ""
    if request.method == "POST":
        answers = _raw_answers(request, wave)
        consent = request.POST.get("research_consent") == "yes"
        try:
            services.response_enter(wave=wave, organisation=organisation, raw=answers,
                                    research_consent=consent, acting_user=request.user)  # fmt: skip
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                errors = exc.message_dict
            else:
                problem = " ".join(exc.messages)
        else:
            messages.success(request, f"Answers saved for {organisation.name}.")
            return redirect("surveys:wave_detail", wave_id=wave.pk)
    return render(request, "surveys/questionnaire.html", {
        "wave": wave, "organisation": organisation, "sections": _questionnaire(wave, answers,
                                                                              errors),
        "errors": errors, "problem": problem, "consent": consent, "staff_entry": True,
    }, status=400 if errors or problem else 200)  # fmt: skip


def response_detail(request: HttpRequest, response_id: int) -> HttpResponse:
    response = Response.objects.select_related("wave__survey", "organisation").filter(
        pk=response_id).first()  # fmt: skip
    if response is None:
        raise Http404
    rows = [(q, response.answers.get(q.code)) for q in response.wave.questions.all()]
    return render(request, "surveys/response_detail.html", {"response": response, "rows": rows})


@login_not_required
@require_http_methods(["GET", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    """The public answer page behind an organisation's link: no sign-in, one response."""
    try:
        invitation: Invitation = selectors.invitation_by_token(token=token)
    except Invitation.DoesNotExist as exc:
        raise Http404("This survey link is not valid.") from exc
    wave = invitation.wave
    done = Response.objects.filter(wave=wave, organisation=invitation.organisation).exists()
    errors: dict[str, list[str]] = {}
    answers: dict[str, Any] = {}
    consent = False
    problem = ""
    if request.method == "POST" and not done:
        answers = _raw_answers(request, wave)
        consent = request.POST.get("research_consent") == "yes"
        try:
            services.response_submit(
                token=token, raw=answers, research_consent=consent, acting_user=None
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                errors = exc.message_dict
            else:
                problem = " ".join(exc.messages)
        else:
            done = True
    status = 400 if errors or problem else 200
    return render(request, "surveys/questionnaire.html", {
        "wave": wave, "organisation": invitation.organisation, "done": done,
        "open": wave.status == WaveStatus.OPEN, "errors": errors, "problem": problem,
        "sections": _questionnaire(wave, answers, errors), "consent": consent,
        "staff_entry": False,
    }, status=status)  # fmt: skip
