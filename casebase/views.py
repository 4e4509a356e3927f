import mimetypes
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import roles
from casebase import selectors
from casebase.filters import CallSuggestionFilter, CatalogueFilter, StudyFilter
from casebase.forms import (
    CallSuggestionForm,
    CitationsForm,
    CommentaryForm,
    CompetencyTagsForm,
    MaintainTextForm,
    MaintainTextRevisionForm,
    MaintainVoiceForm,
    MaintainVoiceRevisionForm,
    QualityCaseApplicationForm,
    RatingForm,
    ReflectionForm,
    RetireForm,
    TextCaseForm,
    TextRevisionForm,
    VoiceCaseForm,
    VoiceRevisionForm,
)
from casebase.models import (
    MAINTAIN_CASES,
    VIEW_HEALTH,
    VIEW_HISTORY,
    CallSuggestion,
    Case,
    CaseLibrarySettings,
    CaseRating,
    CaseStudy,
    RetirementCandidate,
    recordings_storage,
)
from casebase.selectors import KIND_NEW, KIND_QUALITY, KIND_REVISION
from casebase.services import (
    audio,
    exam_use,
    maintenance,
    proposals,
    quality,
    retirement,
    study,
    voice,
)
from casebase.tree import tree_to_text
from config.errors import AppError, PermissionDeniedError, form_error, message_error
from config.filtering import filter_list
from config.fragments import fragment
from review import registry
from review.models import Proposal
from review.selectors import proposals_of

PER_PAGE = 50
WALK_CACHE_SECONDS = 600


def _study_case(request, pk: int) -> Case:
    """A case of the user's study scope; 404 (not 403) for test cases, history cases and
    levels above the next one, so their existence is not revealed."""
    return get_object_or_404(selectors.study_cases(request.user).select_related("category"), pk=pk)


def _allowed(check):
    """Login required; then ``check(user)`` or 403 (PermissionDenied), like
    permission_required(raise_exception=True) for rules that are more than one permission."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@require_GET
def library(request):
    """Training cases of the CSR's next level (or a chosen level ≤ next), by category. Who
    studies no cases but may browse the whole library (operations and training managers,
    maintainers) is taken to the catalogue."""
    if not request.user.has_perm(roles.STUDY):
        if selectors.can_browse_catalogue(request.user):
            return redirect("casebase:catalogue")
        raise PermissionDenied
    filterset, cases = filter_list(StudyFilter, request, selectors.study_rows(request.user))
    nxt = filterset.next_level
    level = int(filterset.form.cleaned_data["level"]) if filterset.is_valid() else nxt
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "casebase/library.html",
        {"form": filterset.form, "page": page, "level": level, "next_level": nxt},
    )


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def case_detail(request, pk: int):
    """The study page: a text case walked branch by branch (?node=<customer turn>), or a
    voice case with its player."""
    case = selectors.study_page_case(request.user, pk)
    if case is None:  # not in the study scope: 404, as _study_case
        raise Http404
    walk_html = ""
    if case.is_text:
        try:
            node_id = int(request.GET["node"]) if request.GET.get("node") else None
        except ValueError:
            raise Http404 from None

        def walk_body() -> str:
            walk = selectors.case_walk(case, node_id)
            if walk is None:
                raise Http404
            return render_to_string("casebase/_walk.html", {"walk": walk}, request=request)

        # The conversation at one turn is the same for every reader until the case changes
        # (every change raises case.version); a turn that does not exist is a 404, never cached.
        walk_html = fragment(
            "case-walk", (case.pk, case.version, node_id), walk_body, timeout=WALK_CACHE_SECONDS
        )
    rating, studied = case.my_rating, case.my_study
    return render(
        request,
        "casebase/case_detail.html",
        {
            "case": case,
            "walk_html": walk_html,
            "quality": _quality_state(case, request.user),
            "studied": studied,
            "rating_form": None if rating else RatingForm(),
            "rating": rating,
            "classicness": case.classicness(),
            "constant_days": case.constant_time().days,
            **_voice_extras(case, request.user, studied=studied is not None),
        },
    )


def _voice_extras(case: Case, user, *, studied: bool) -> dict:
    """Reflections (those ``user`` may see) and the trainer's commentary of a voice case; the
    reflection form for a CSR who studied it and wrote none yet."""
    if case.is_text:
        return {}
    reflections = selectors.visible_reflections(case, user)
    mine = any(r.employee_id == user.pk for r in reflections)
    return {
        "reflections": reflections,
        "commentary": selectors.case_commentary(case),
        "reflection_form": ReflectionForm() if studied and not mine else None,
    }


def _quality_state(case: Case, user) -> dict | None:
    """For the case page: None when ``user`` is not a contributor of ``case``; else whether
    they may apply for its quality-case review now ("refusal": why not). Most readers are
    not contributors: the kept list (selectors.case_contributor_ids) answers them without a
    query; a contributor's page runs the full check."""
    if user.pk not in selectors.case_contributor_ids(case):
        return None
    try:
        quality.quality_case_check(case=case, applicant=user)
    except PermissionDeniedError:
        return None
    except AppError as exc:
        return {"refusal": exc.message}
    return {"refusal": None}


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def quality_apply(request, pk: int):
    """A contributor applies for the case's quality-case review (any active case they
    contributed to, training or test: they know it already). 403 for anyone else."""
    case = get_object_or_404(Case.objects.active().select_related("category"), pk=pk)
    state = _quality_state(case, request.user)
    if state is None:
        raise PermissionDenied(_(quality.MSG_QUALITY_NOT_CONTRIBUTOR))
    form = QualityCaseApplicationForm(request.POST or None)
    if request.method == "POST" and state["refusal"] is None and form.is_valid():
        try:
            proposal = quality.quality_case_apply(
                applicant=request.user, case_id=case.pk, statement=form.cleaned_data["statement"]
            )
        except AppError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                _("Your quality-case application #%(id)s was sent to the review committee.")
                % {"id": proposal.pk},
            )
            return redirect("review:proposal_detail", pk=proposal.pk)
    return render(
        request,
        "casebase/quality_apply.html",
        {
            "case": case,
            "form": form,
            "refusal": state["refusal"],
            "contributors": selectors.case_contributors(case),
        },
        status=400 if request.method == "POST" else 200,
    )


def _study_answer(
    request,
    case_id: int,
    *,
    box: str,
    flash: tuple[str, str] | None = None,
    status: int = 200,
    **context,
):
    """The htmx answer to "Mark as studied" / "Save rating": the updated widget (the studied
    line, the rating, or the rating form with its error as an alert) and the success
    feedback for the page's live region (emptied on a refusal); refusals keep their 4xx
    status."""
    case = _study_case(request, case_id)
    studied = CaseStudy.objects.filter(case=case, employee=request.user).first()
    rating = CaseRating.objects.filter(case=case, employee=request.user).first()
    context = {
        "case": case,
        "studied": studied,
        "rating": rating,
        "box": box,
        "flash": [flash] if flash else [],
        "rating_form": None if rating else RatingForm(),
        **context,
    }
    if box == "studied" and studied is not None and not case.is_text:  # the reflection form appears
        context.update(_voice_extras(case, request.user, studied=True), voice_oob=True)
    return render(request, "casebase/_study_answer.html", context, status=status)


@require_POST
@permission_required(roles.STUDY, raise_exception=True)
def case_studied(request, pk: int):
    """Mark a case as studied: back to the case page (PRG), or with htmx the updated widget."""
    try:
        study.case_mark_studied(employee=request.user, case_id=pk)
    except Case.DoesNotExist:
        raise Http404 from None
    if request.htmx:
        return _study_answer(request, pk, box="studied", flash=("success", _("Marked as studied.")))
    messages.success(request, _("Marked as studied."))
    return redirect("casebase:case_detail", pk=pk)


@require_POST
@permission_required(roles.STUDY, raise_exception=True)
def case_rate_view(request, pk: int):
    """Rate a case once: back to the case page (PRG), or with htmx the rating widget; a
    refusal (no value, rated before) is the widget with its message and a 4xx status."""
    form = RatingForm(request.POST)
    if not form.is_valid():
        message = _("Choose excellent, average or poor.")
        if request.htmx:
            return _study_answer(request, pk, box="rating", rating_error=message, status=400)
        messages.error(request, message)
        return redirect("casebase:case_detail", pk=pk)
    try:
        study.case_rate(employee=request.user, case_id=pk, value=form.cleaned_data["value"])
    except Case.DoesNotExist:
        raise Http404 from None
    except AppError as exc:
        if request.htmx and not isinstance(exc, Http404 | PermissionDenied):
            return _study_answer(
                request, pk, box="rating", rating_error=exc.message, status=exc.status_code
            )
        message_error(request, exc)
        return redirect("casebase:case_detail", pk=pk)
    if request.htmx:
        return _study_answer(
            request, pk, box="rating", flash=("success", _("Your rating was saved."))
        )
    messages.success(request, _("Your rating was saved."))
    return redirect("casebase:case_detail", pk=pk)


def _submitted(request, proposal):
    messages.success(
        request, _("Your proposal #%(id)s was sent to the review committee.") % {"id": proposal.pk}
    )
    return redirect("casebase:my_proposals")


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def propose_text(request):
    form = TextCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposal = proposals.case_new_propose(
                proposer=request.user,
                kind=Case.Kind.TEXT,
                title=data["title"],
                category_id=data["category"].pk,
                reason=data["reason"],
                background=data["background"],
                tree=data["tree"],
                suggested_level=data["suggested_level"],
                participants=data["participants"],
            )
        except AppError as exc:
            form_error(form, exc)
        else:
            return _submitted(request, proposal)
    return render(request, "casebase/propose.html", {"form": form, "mode": "text"})


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def propose_voice(request):
    """Only case maintainers upload recordings (voice cases are picked by the centre from real
    calls); everyone else suggests a call by its reference (call_suggest)."""
    if not request.user.has_perm(MAINTAIN_CASES):
        raise PermissionDenied(_(audio.MSG_RECORDING_MAINTAINERS))
    form = VoiceCaseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposal = proposals.case_new_propose(
                proposer=request.user,
                kind=Case.Kind.VOICE,
                title=data["title"],
                category_id=data["category"].pk,
                reason=data["reason"],
                background=data["background"],
                audio=data["audio"],
                premise=data["premise"],
                emotion_grade=data["emotion_grade"],
                transcript=data["transcript"],
                suggested_level=data["suggested_level"],
                participants=data["participants"],
            )
        except AppError as exc:
            form_error(form, exc)
        else:
            return _submitted(request, proposal)
    return render(
        request,
        "casebase/propose.html",
        {"form": form, "mode": "voice", "multipart": True, "config": CaseLibrarySettings.current()},
    )


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def revise(request, pk: int):
    case = _study_case(request, pk)
    initial = {
        "base_version": case.version,
        "title": case.title,
        "category": case.category_id,
        "background": case.background,
    }
    if case.is_text:
        initial["tree"] = tree_to_text(selectors.case_tree(case))
        form = TextRevisionForm(request.POST or None, initial=initial)
    else:
        initial.update(
            {
                "premise": case.premise,
                "emotion_grade": case.emotion_grade,
                "transcript": case.transcript,
            }
        )
        form = VoiceRevisionForm(request.POST or None, request.FILES or None, initial=initial)
        if not request.user.has_perm(MAINTAIN_CASES):  # only maintainers upload recordings
            del form.fields["audio"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        extra = (
            {"tree": data["tree"]}
            if case.is_text
            else {
                "premise": data["premise"],
                "emotion_grade": data["emotion_grade"],
                "transcript": data["transcript"],
                "audio": data.get("audio"),
            }
        )
        try:
            proposal = proposals.case_revision_propose(
                proposer=request.user,
                case_id=case.pk,
                base_version=data["base_version"],
                reason=data["reason"],
                title=data["title"],
                category_id=data["category"].pk,
                background=data["background"],
                participants=data["participants"],
                **extra,
            )
        except AppError as exc:
            form_error(form, exc)
        else:
            return _submitted(request, proposal)
    return render(
        request,
        "casebase/propose.html",
        {"form": form, "mode": "revision", "case": case, "multipart": not case.is_text},
    )


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def my_proposals(request):
    qs = proposals_of(proposer=request.user).filter(
        kind__in=[KIND_NEW, KIND_REVISION, KIND_QUALITY]
    )
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for proposal in page:
        kind = registry.kinds().get(proposal.kind)
        # An accepted case (even a test case the proposer cannot open in study) can apply
        # for its quality-case review from here; the apply page checks the rule.
        quality_url = (
            reverse("casebase:quality_apply", args=[proposal.target_id])
            if proposal.kind != KIND_QUALITY
            and proposal.status == proposal.Status.APPLIED
            and proposal.target_id
            else None
        )
        rows.append(
            {
                "proposal": proposal,
                "label": kind.label,
                "target": kind.describe(proposal),
                "rebase_url": kind.rebase_url(proposal),
                "quality_url": quality_url,
            }
        )
    return render(request, "casebase/my_proposals.html", {"page": page, "rows": rows})


@require_GET
@permission_required(VIEW_HISTORY, raise_exception=True)
def history_list(request):
    page = Paginator(selectors.history_cases(), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "casebase/history_list.html",
        {
            "page": page,
            "pending": selectors.pending_retirements().count(),
            "can_decide": request.user.has_perm(roles.REVIEW),
        },
    )


@require_GET
@permission_required(VIEW_HISTORY, raise_exception=True)
def history_detail(request, pk: int):
    """Read-only view of a case in the history library (or one proposed for retirement: an
    active test case only for those who may see its level's test cases — it is still drawn
    into exams)."""
    case = get_object_or_404(Case.objects.select_related("category"), pk=pk)
    if (
        case.status != Case.Status.HISTORY
        and not case.retirement_candidates.filter(
            status=RetirementCandidate.Status.PENDING
        ).exists()
    ):
        raise Http404
    if (
        case.status == Case.Status.ACTIVE
        and case.split == Case.Split.TEST
        and not selectors.sees_test_content(request.user, case.level)
    ):
        raise Http404
    if case.split == Case.Split.TEST:  # shown in full: never drawn into this user's exams
        exam_use.case_exposure_record(employee=request.user, case=case)
    return render(
        request,
        "casebase/history_detail.html",
        {
            "case": case,
            "tree": selectors.case_tree(case) if case.is_text else None,
            "classicness": case.classicness(),
            "constant_days": case.constant_time().days,
        },
    )


@require_GET
@permission_required(roles.REVIEW, raise_exception=True)
def retirements(request):
    page = Paginator(selectors.pending_retirements(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "casebase/retirements.html", {"page": page})


@require_POST
@permission_required(roles.REVIEW, raise_exception=True)
def retirement_decide(request, pk: int):
    candidate = get_object_or_404(RetirementCandidate, pk=pk)
    try:
        retirement.retirement_decide(
            candidate_id=candidate.pk, user=request.user, confirm=request.POST.get("confirm") == "1"
        )
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("The retirement was decided."))
    return redirect("casebase:retirements")


@require_GET
@permission_required(VIEW_HEALTH, raise_exception=True)
def library_health(request):
    """Library health for training managers and review experts: per level × category the
    training and test cases against the targets and the cap, cases with no exam question and
    each level's exam pool against what an exam needs."""
    return render(request, "casebase/health.html", {"health": selectors.library_health()})


# --- recordings ----------------------------------------------------------------------------


def _serve_recording(name: str) -> HttpResponse:
    """The response that plays the stored recording ``name``: with S3-compatible storage a
    redirect to a presigned URL (RECORDINGS_URL_SECONDS); behind nginx an X-Accel-Redirect
    to RECORDINGS_ACCEL_REDIRECT_PREFIX + name (an `internal` location serves the file, with
    ranges); else (development) the file itself. Never cached by shared caches."""
    storage = recordings_storage()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if settings.RECORDINGS_STORAGE == "s3":
        response = HttpResponseRedirect(storage.url(name, expire=settings.RECORDINGS_URL_SECONDS))
    elif settings.RECORDINGS_ACCEL_REDIRECT_PREFIX:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = (
            settings.RECORDINGS_ACCEL_REDIRECT_PREFIX.rstrip("/") + "/" + quote(name)
        )
    else:
        try:
            handle = storage.open(name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
@never_cache
def recording(request, pk: int):
    """A case's recording, for those who may hear it (selectors.case_recording_access):
    study scope for training cases, nobody who can still be examined on a test case — except
    its examinee while a running exam contains it. 404 otherwise (a test case's existence is
    not revealed). Hearing a test case outside an exam records the exposure."""
    case = get_object_or_404(Case.objects.exclude(audio=""), pk=pk)
    access = selectors.case_recording_access(request.user, case)
    if access is None:
        raise Http404
    if access == "full":
        exam_use.case_exposure_record(employee=request.user, case=case)
    return _serve_recording(case.audio.name)


@require_GET
@login_required
@never_cache
def proposal_recording(request, pk: int):
    """The recording of a case proposal (its upload; a quality-case application's case) for
    its proposer, training managers and the committee members who may vote on it (not
    recused). 404 otherwise. Hearing it records the exposure, like the proposal page."""
    proposal = get_object_or_404(Proposal, pk=pk)
    name = selectors.proposal_recording_name(proposal)
    if not name or not selectors.proposal_recording_access(request.user, proposal):
        raise Http404
    exam_use.case_exposure_record(employee=request.user, proposal=proposal)
    return _serve_recording(name)


# --- the catalogue and direct maintenance -----------------------------------------------------


def _catalogue_case(request, pk: int) -> Case:
    """A case of the user's catalogue (selectors.catalogue_cases); 404 for a test case they
    may still be examined on, so its existence is not revealed."""
    return get_object_or_404(
        selectors.catalogue_cases(request.user).select_related("category", "author"), pk=pk
    )


@require_GET
@_allowed(selectors.can_browse_catalogue)
def catalogue(request):
    """The whole library for maintainers and managers: active cases (or the history library)
    by level, category, set and kind; test cases only of the levels the user may see."""
    filterset, qs = filter_list(CatalogueFilter, request, selectors.catalogue_list(request.user))
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    user = request.user
    return render(
        request,
        "casebase/catalogue.html",
        {
            "form": filterset.form,
            "page": page,
            "can_maintain": selectors.can_maintain(user),
            "can_moderate": selectors.can_moderate_reflections(user),
            "pending_calls": CallSuggestion.objects.filter(
                status=CallSuggestion.Status.PENDING
            ).count()
            if selectors.can_maintain(user)
            else None,
        },
    )


@require_GET
@_allowed(selectors.can_browse_catalogue)
def catalogue_detail(request, pk: int):
    """A case in full with its history (every version: who, when, why, and the diff). A test
    case shown here is recorded as the viewer's exposure: never drawn into their exams."""
    case = _catalogue_case(request, pk)
    if case.split == Case.Split.TEST:
        exam_use.case_exposure_record(employee=request.user, case=case)
    user = request.user
    return render(
        request,
        "casebase/catalogue_detail.html",
        {
            "case": case,
            "tree": selectors.case_tree(case) if case.is_text else None,
            "versions": selectors.case_versions(case),
            "classicness": case.classicness(),
            "constant_days": case.constant_time().days,
            "can_maintain": selectors.can_maintain(user),
            "can_comment": selectors.can_write_commentary(user),
            "can_moderate": selectors.can_moderate_reflections(user),
            "retire_form": RetireForm()
            if selectors.can_maintain(user) and case.status == Case.Status.ACTIVE
            else None,
            **_voice_extras(case, user, studied=False),
        },
    )


def _maintain_new(request, *, kind: str):
    is_voice = kind == Case.Kind.VOICE
    form_class = MaintainVoiceForm if is_voice else MaintainTextForm
    form = form_class(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        extra = (
            {
                "audio": data["audio"],
                "premise": data["premise"],
                "emotion_grade": data["emotion_grade"],
                "transcript": data["transcript"],
            }
            if is_voice
            else {"tree": data["tree"]}
        )
        try:
            case = maintenance.case_maintain_create(
                user=request.user,
                kind=kind,
                title=data["title"],
                category_id=data["category"].pk,
                level=data["level"],
                split=data["split"],
                background=data["background"],
                reason=data["reason"],
                **extra,
            )
        except AppError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The case was entered into the library (version 1)."))
            return redirect("casebase:catalogue_detail", pk=case.pk)
    return render(
        request,
        "casebase/maintain_form.html",
        {
            "form": form,
            "mode": kind,
            "multipart": is_voice,
            "config": CaseLibrarySettings.current() if is_voice else None,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@permission_required(MAINTAIN_CASES, raise_exception=True)
def maintain_new_text(request):
    return _maintain_new(request, kind=Case.Kind.TEXT)


@require_http_methods(["GET", "POST"])
@permission_required(MAINTAIN_CASES, raise_exception=True)
def maintain_new_voice(request):
    return _maintain_new(request, kind=Case.Kind.VOICE)


@require_http_methods(["GET", "POST"])
@permission_required(MAINTAIN_CASES, raise_exception=True)
def maintain_edit(request, pk: int):
    """A maintainer revises a case directly: a new version with the reason in its history;
    open proposals on it become stale (their proposers are asked to rebase)."""
    case = _catalogue_case(request, pk)
    if case.split == Case.Split.TEST:  # the form shows it in full
        exam_use.case_exposure_record(employee=request.user, case=case)
    initial = {
        "base_version": case.version,
        "title": case.title,
        "category": case.category_id,
        "background": case.background,
        "level": case.level,
        "split": case.split,
    }
    if case.is_text:
        initial["tree"] = tree_to_text(selectors.case_tree(case))
        form = MaintainTextRevisionForm(request.POST or None, initial=initial)
    else:
        initial.update(
            {
                "premise": case.premise,
                "emotion_grade": case.emotion_grade,
                "transcript": case.transcript,
            }
        )
        form = MaintainVoiceRevisionForm(
            request.POST or None, request.FILES or None, initial=initial
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        extra = (
            {"tree": data["tree"]}
            if case.is_text
            else {
                "premise": data["premise"],
                "emotion_grade": data["emotion_grade"],
                "transcript": data["transcript"],
                "audio": data.get("audio"),
            }
        )
        try:
            case = maintenance.case_maintain_revise(
                user=request.user,
                case_id=case.pk,
                base_version=data["base_version"],
                reason=data["reason"],
                title=data["title"],
                category_id=data["category"].pk,
                level=data["level"],
                split=data["split"],
                background=data["background"],
                scope=selectors.catalogue_cases(request.user),
                **extra,
            )
        except AppError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, _("The case is now version %(version)s.") % {"version": case.version}
            )
            return redirect("casebase:catalogue_detail", pk=case.pk)
    return render(
        request,
        "casebase/maintain_form.html",
        {
            "form": form,
            "mode": "revision",
            "case": case,
            "multipart": not case.is_text,
            "citations_form": CitationsForm(
                initial={
                    "entries": " ".join(
                        str(pk) for pk in selectors.cited_entries(case).values_list("pk", flat=True)
                    )
                }
            ),
            "cited": selectors.cited_entries(case),
            "tags_form": CompetencyTagsForm(
                initial={"competencies": list(case.competencies.values_list("pk", flat=True))}
            ),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@permission_required(MAINTAIN_CASES, raise_exception=True)
def case_citations(request, pk: int):
    """A maintainer sets the KB entries the case cites (from the case's edit page)."""
    case = _catalogue_case(request, pk)
    form = CitationsForm(request.POST)
    if form.is_valid():
        try:
            maintenance.case_citations_set(
                user=request.user,
                case_id=case.pk,
                entry_ids=form.cleaned_data["entries"],
                scope=selectors.catalogue_cases(request.user),
            )
        except AppError as exc:
            message_error(request, exc)
        else:
            messages.success(request, _("Cited entries saved."))
    else:
        messages.error(request, " ".join(form.errors["entries"]))
    return redirect("casebase:maintain_edit", pk=case.pk)


@require_POST
@permission_required(MAINTAIN_CASES, raise_exception=True)
def maintain_competencies(request, pk: int):
    """A maintainer sets the competency items a case tests (no new version of its content)."""
    case = _catalogue_case(request, pk)
    form = CompetencyTagsForm(request.POST)
    if form.is_valid():
        try:
            maintenance.case_competencies_set(
                user=request.user,
                case_id=case.pk,
                item_ids=[item.pk for item in form.cleaned_data["competencies"]],
                scope=selectors.catalogue_cases(request.user),
            )
        except AppError as exc:
            message_error(request, exc)  # the service's own reason (the form is not shown again)
        else:
            messages.success(request, _("The case's competency items were saved."))
    else:
        messages.error(request, _("Choose competency items of the competency dictionary."))
    return redirect("casebase:maintain_edit", pk=case.pk)


@require_POST
@permission_required(MAINTAIN_CASES, raise_exception=True)
def maintain_retire(request, pk: int):
    case = _catalogue_case(request, pk)
    form = RetireForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason for the change."))
        return redirect("casebase:catalogue_detail", pk=case.pk)
    try:
        maintenance.case_maintain_retire(
            user=request.user,
            case_id=case.pk,
            reason=form.cleaned_data["reason"],
            scope=selectors.catalogue_cases(request.user),
        )
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(
            request, _("The case was moved to the history library; its history is kept.")
        )
    return redirect("casebase:catalogue_detail", pk=case.pk)


@require_http_methods(["GET", "POST"])
@_allowed(selectors.can_write_commentary)
def commentary_edit(request, pk: int):
    """培训师点评 of a voice case: training managers and review experts write the current
    text; the earlier ones stay in its history (shown here)."""
    case = get_object_or_404(
        selectors.catalogue_cases(request.user)
        .filter(kind=Case.Kind.VOICE)
        .select_related("category"),
        pk=pk,
    )
    if case.split == Case.Split.TEST:
        exam_use.case_exposure_record(employee=request.user, case=case)
    current = selectors.case_commentary(case)
    form = CommentaryForm(request.POST or None, initial={"text": current.text if current else ""})
    if request.method == "POST" and form.is_valid():
        try:
            voice.commentary_set(user=request.user, case_id=case.pk, text=form.cleaned_data["text"])
        except AppError as exc:
            form_error(form, exc)
        else:
            messages.success(request, _("The trainer's commentary was saved."))
            return redirect("casebase:commentary_edit", pk=case.pk)
    return render(
        request,
        "casebase/commentary_form.html",
        {
            "case": case,
            "form": form,
            "current": current,
            "history": selectors.commentary_history(current),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- suggested calls and reflections ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def call_suggest(request):
    """A CSR suggests a real call as a voice case by its reference (maintainers upload the
    recording if they accept it)."""
    form = CallSuggestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            voice.call_suggest(user=request.user, **form.cleaned_data)
        except AppError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request, _("Thank you: the call was suggested to the case maintainers.")
            )
            return redirect("casebase:call_suggest")
    mine = CallSuggestion.objects.filter(suggested_by=request.user).select_related("case")[:20]
    return render(
        request,
        "casebase/call_suggest.html",
        {"form": form, "mine": mine},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
@permission_required(MAINTAIN_CASES, raise_exception=True)
def calls(request):
    filterset, suggestions = filter_list(
        CallSuggestionFilter, request, selectors.call_suggestions_visible(request.user)
    )
    status = (
        filterset.is_valid() and filterset.form.cleaned_data["status"]
    ) or CallSuggestion.Status.PENDING
    page = Paginator(suggestions, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "casebase/calls.html",
        {
            "page": page,
            "status": status,
            "form": filterset.form,
            "statuses": CallSuggestion.Status.choices,
        },
    )


@require_POST
@permission_required(MAINTAIN_CASES, raise_exception=True)
def call_decide(request, pk: int):
    suggestion = get_object_or_404(CallSuggestion, pk=pk)
    raw_case = (request.POST.get("case_id") or "").strip()
    try:
        case_id = int(raw_case) if raw_case else None
        voice.call_suggestion_decide(
            user=request.user,
            suggestion_id=suggestion.pk,
            accept=request.POST.get("accept") == "1",
            note=request.POST.get("note", ""),
            case_id=case_id,
        )
    except ValueError:
        messages.error(request, _("Link a voice case."))
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(request, _("The suggestion was decided."))
    return redirect("casebase:calls")


@require_POST
@permission_required(roles.STUDY, raise_exception=True)
def reflection_add(request, pk: int):
    form = ReflectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write your reflection."))
        return redirect("casebase:case_detail", pk=pk)
    try:
        voice.reflection_add(employee=request.user, case_id=pk, text=form.cleaned_data["text"])
    except Case.DoesNotExist:
        raise Http404 from None
    except AppError as exc:
        message_error(request, exc)
    else:
        messages.success(
            request, _("Your reflection was saved; colleagues see it once a moderator approves it.")
        )
    return redirect("casebase:case_detail", pk=pk)


@require_GET
@_allowed(selectors.can_moderate_reflections)
def reflections(request):
    page = Paginator(selectors.pending_reflections(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "casebase/reflections.html", {"page": page})


@require_POST
@_allowed(selectors.can_moderate_reflections)
def reflection_moderate(request, pk: int):
    reflection = get_object_or_404(selectors.moderatable_reflections(request.user), pk=pk)
    voice.reflection_moderate(
        user=request.user, reflection_id=reflection.pk, approve=request.POST.get("approve") == "1"
    )
    messages.success(request, _("The reflection was moderated."))
    if request.POST.get("next") == "case":
        return redirect("casebase:catalogue_detail", pk=reflection.case_id)
    return redirect("casebase:reflections")
