from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import roles
from config import charts
from config.charts import Chart
from config.errors import AppError, form_error, message_error
from config.urlfill import url_filler
from knowledgebase import search, services
from knowledgebase.charts import misses_chart, stale_chart
from knowledgebase.citations import revisable_cases, revision_page
from knowledgebase.forms import (
    CalibrationForm,
    EntryMaintainForm,
    EntryProposalForm,
    EntryRetireForm,
    EntryReviseForm,
    MaintainFilterForm,
    RevisionProposalForm,
    SearchForm,
    StaleResolveForm,
    SynonymFromMissForm,
)
from knowledgebase.models import (
    Category,
    Entry,
    EntryChange,
    QueryTestSession,
    QueryTimeTest,
    QueryTimeThreshold,
)
from knowledgebase.selectors import (
    CALIBRATION_DEFAULT_DAYS,
    HISTOGRAM_BIN,
    counting_query_time_result,
    entry_fields,
    entry_fields_diff_html,
    entry_history_rows,
    entry_version_fields,
    flag_diffs,
    maintainable_entries,
    payload_diff_html,
    query_test_next_start_at,
    query_test_sessions_of,
    query_time_calibration,
    search_misses,
    stale_counts,
    stale_flags_for,
)
from review import registry
from review.models import Proposal
from review.selectors import proposals_of
from review.services import OutdatedBaseVersion


def can_read_kb(user) -> bool:
    """CSRs (study) and maintainers (operations managers) search and read the KB pages."""
    return user.has_perm(roles.STUDY) or services.can_maintain(user)


def kb_reader_required(view):
    """The KB reading pages: 403 for anybody who neither studies nor maintains."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not can_read_kb(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def maintainer_required(view):
    """The maintainers' pages: 403 without knowledgebase.maintain_entries."""
    return permission_required(services.MAINTAIN_ENTRIES, raise_exception=True)(view)


RESULTS_PER_PAGE = 20
# Pages beyond this are empty anyway; the bound keeps a typed page number from overflowing the
# database's OFFSET (a 500) — page=10**20 simply shows no results.
MAX_RESULTS_PAGE = 1000
PER_PAGE = 50


def hit_rows(hits, search_log) -> list[tuple]:
    """(hit, its link) for a result list: the link that records the click of ``search_log``,
    else the entry's page. reverse() runs once per list (config.urlfill): twenty reverse()
    calls cost the search page more CPU than the cached search itself."""
    if search_log is not None:
        link = url_filler("knowledgebase:search_click", search_log.pk)
    else:
        link = url_filler("knowledgebase:entry_detail")
    return [(hit, link(hit.entry_id)) for hit in hits]


def _search_hits(request, *, log: bool = False) -> tuple[SearchForm, dict]:
    """The search form and the template context of its results; ``log`` records the search
    (the search page does, the query-time test does not: its tasks are not real misses)."""
    form = SearchForm(request.GET or None)
    outcome, page, entry = search.SearchOutcome(), 1, None
    if form.is_valid() and form.cleaned_data["q"]:
        try:
            page = min(max(int(request.GET.get("page", 1)), 1), MAX_RESULTS_PAGE)
        except ValueError:
            page = 1
        category_ids = None
        if form.cleaned_data["category"]:
            category = Category.objects.filter(pk=form.cleaned_data["category"]).first()
            category_ids = category.descendant_ids() if category else None
        outcome = search.search_outcome_cached(
            form.cleaned_data["q"],
            category_ids=category_ids,
            limit=RESULTS_PER_PAGE,
            offset=(page - 1) * RESULTS_PER_PAGE,
        )
        if log and page == 1:
            entry = services.search_log_record(
                user=request.user,
                query=form.cleaned_data["q"],
                result_count=len(outcome.hits),
                fallback=outcome.fallback,
            )
    context = {
        "form": form,
        "hits": outcome.hits,
        "rows": hit_rows(outcome.hits, entry),
        "also_searched": outcome.also_searched,
        "fallback": outcome.fallback,
        "page_number": page,
        "search_log": entry,
        "has_more": len(outcome.hits) == RESULTS_PER_PAGE,
    }
    return form, context


def results_only(request) -> bool:
    """An htmx request from the search form (results as you type) gets only the result list;
    a plain GET, a reload and htmx's history restore (Back after the cache lost the page) get
    the whole page for the same URL."""
    return bool(request.htmx) and not request.htmx.history_restore_request


@require_GET
@kb_reader_required
@vary_on_headers("HX-Request")
def search_page(request):
    """The CSR's search box; the query is in the URL (?q=&category=); an htmx request gets only
    the result list (results as you type)."""
    form, context = _search_hits(request, log=True)
    if results_only(request):
        return render(request, "knowledgebase/_results.html", context)
    return render(request, "knowledgebase/search.html", context)


@require_GET
@kb_reader_required
def search_click(request, log_id: int, entry_id: int):
    """A result link: records which entry the search led to (and counts the click for the
    entry's popularity), then redirects to it. A plain link, no script (the CSP forbids inline
    JS)."""
    entry = get_object_or_404(Entry.objects.only("pk"), pk=entry_id)
    services.search_log_click(log_id=log_id, user=request.user, entry_id=entry.pk)
    return redirect("knowledgebase:entry_detail", pk=entry.pk)


def can_review_misses(user) -> bool:
    """Operations managers and committee members see the search misses."""
    return user.has_perm(roles.MANAGE_OPERATIONS) or user.has_perm(roles.REVIEW)


MISSES_DAYS = 90


@require_GET
@login_required
def search_misses_page(request):
    """What CSRs searched and did not find, by normalised query, with one action to add a
    synonym group and one to propose a new entry."""
    if not can_review_misses(request.user):
        raise PermissionDenied
    paginator = Paginator(search_misses(days=MISSES_DAYS), PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "knowledgebase/search_misses.html",
        {"page": page, "days": MISSES_DAYS, "form": SynonymFromMissForm()},
    )


@require_POST
@login_required
def synonym_from_miss(request):
    if not can_review_misses(request.user):
        raise PermissionDenied
    form = SynonymFromMissForm(request.POST)
    if form.is_valid():
        try:
            group = services.synonym_group_create(
                terms=f"{form.cleaned_data['query']} {form.cleaned_data['synonyms']}",
                note=_("from the search misses"),
            )
        except AppError as exc:
            message_error(request, exc)
        else:
            messages.success(request, _("Synonym group saved: %(terms)s") % {"terms": group})
    else:
        messages.error(request, _("Type at least one word with the same meaning."))
    return redirect("knowledgebase:search_misses")


@require_GET
@kb_reader_required
def entry_detail(request, pk: int):
    entry = get_object_or_404(Entry.objects.select_related("category"), pk=pk)
    history = entry_history_rows(entry, limit=PER_PAGE)
    return render(
        request,
        "knowledgebase/entry_detail.html",
        {
            "entry": entry,
            "history": history,
            "can_maintain": services.can_maintain(request.user),
            "can_propose": request.user.has_perm(roles.STUDY) and not entry.is_retired,
        },
    )


@require_GET
@kb_reader_required
def entry_diff(request, pk: int):
    entry = get_object_or_404(Entry, pk=pk)
    try:
        old_version = int(request.GET.get("from", max(entry.version - 1, 1)))
        new_version = int(request.GET.get("to", entry.version))
    except ValueError:
        raise Http404 from None
    old, new = entry_version_fields(entry, old_version), entry_version_fields(entry, new_version)
    if old is None or new is None:
        raise Http404
    versions = sorted(set(entry.history.values_list("version", flat=True)))
    return render(
        request,
        "knowledgebase/entry_diff.html",
        {
            "entry": entry,
            "old_version": old_version,
            "new_version": new_version,
            "versions": versions,
            "diff": entry_fields_diff_html(old, new),
        },
    )


def _proposal_form_page(request, *, form, entry, template_context, on_submit):
    """Shared flow of the propose pages: "preview" shows the diff, "submit" calls the service."""
    diff = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payload = {
            "title": data["title"],
            "body": data["body"],
            "keywords": data["keywords"],
            "category_id": data["category"],
        }
        if "preview" in request.POST:
            diff = payload_diff_html(entry=entry, payload=payload)
        else:
            try:
                proposal = on_submit(data)
            except AppError as exc:
                form_error(form, exc)
                if isinstance(exc, OutdatedBaseVersion):
                    template_context["outdated"] = True
            else:
                messages.success(
                    request,
                    _("Your proposal #%(id)s was sent to the review committee.")
                    % {"id": proposal.pk},
                )
                return redirect("knowledgebase:my_proposals")
    return render(
        request,
        "knowledgebase/propose.html",
        {"form": form, "entry": entry, "diff": diff, **template_context},
    )


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def propose_revision(request, pk: int):
    entry = get_object_or_404(Entry.objects.select_related("category"), pk=pk)
    initial = {
        "category": entry.category_id,
        "title": entry.title,
        "keywords": entry.keywords,
        "body": entry.body,
        "base_version": entry.version,
    }
    form = RevisionProposalForm(request.POST or None, initial=initial)

    def submit(data):
        return services.kb_revision_propose(
            proposer=request.user,
            entry_id=entry.pk,
            base_version=data["base_version"],
            title=data["title"],
            body=data["body"],
            keywords=data["keywords"],
            category_id=data["category"],
            reason=data["reason"],
        )

    return _proposal_form_page(
        request, form=form, entry=entry, template_context={"mode": "revision"}, on_submit=submit
    )


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def propose_entry(request):
    # ?title= prefills the title (the search-miss list starts a proposal from a query).
    form = EntryProposalForm(
        request.POST or None, initial={"title": request.GET.get("title", "")[:200]}
    )

    def submit(data):
        return services.kb_entry_propose(
            proposer=request.user,
            title=data["title"],
            body=data["body"],
            keywords=data["keywords"],
            category_id=data["category"],
            reason=data["reason"],
        )

    return _proposal_form_page(
        request, form=form, entry=None, template_context={"mode": "new"}, on_submit=submit
    )


@require_http_methods(["GET", "POST"])
@permission_required(roles.STUDY, raise_exception=True)
def proposal_rebase(request, pk: int):
    """Re-create one's own outdated proposal on the entry's current version."""
    proposal = get_object_or_404(
        Proposal,
        pk=pk,
        proposer=request.user,
        kind=services.KIND_REVISION,
        status=Proposal.Status.STALE,
    )
    entry = get_object_or_404(Entry.objects.select_related("category"), pk=proposal.target_id)
    initial = {
        "category": proposal.payload["category_id"],
        "title": proposal.payload["title"],
        "keywords": proposal.payload["keywords"],
        "body": proposal.payload["body"],
        "base_version": entry.version,
        "reason": proposal.reason,
    }
    form = RevisionProposalForm(request.POST or None, initial=initial)
    base_fields = entry_version_fields(entry, proposal.base_version)
    changed_meanwhile = (
        entry_fields_diff_html(base_fields, entry_fields(entry)) if base_fields else None
    )

    def submit(data):
        return services.kb_revision_propose(
            proposer=request.user,
            entry_id=entry.pk,
            base_version=data["base_version"],
            title=data["title"],
            body=data["body"],
            keywords=data["keywords"],
            category_id=data["category"],
            reason=data["reason"],
            rebased_from_id=proposal.pk,
        )

    context = {
        "mode": "rebase",
        "stale": proposal,
        "changed_meanwhile": changed_meanwhile,
        "your_change": payload_diff_html(entry=entry, payload=proposal.payload),
    }
    return _proposal_form_page(
        request, form=form, entry=entry, template_context=context, on_submit=submit
    )


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def my_proposals(request):
    page = Paginator(proposals_of(proposer=request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = []
    for proposal in page:
        kind = registry.kinds().get(proposal.kind)
        rows.append(
            {
                "proposal": proposal,
                "label": kind.label if kind else proposal.kind,
                "target": kind.describe(proposal) if kind else "",
                "rebase_url": kind.rebase_url(proposal) if kind else None,
            }
        )
    return render(request, "knowledgebase/my_proposals.html", {"page": page, "rows": rows})


# --- maintainers: direct changes -----------------------------------------------------------


@require_GET
@maintainer_required
def maintain_list(request):
    """The maintainers' list: every entry (in search, retired, or all), newest change first,
    with the actions of each."""
    form = MaintainFilterForm(request.GET or None)
    query, status, category_ids = "", "current", None
    if form.is_valid():
        query, status = form.cleaned_data["q"], form.cleaned_data["status"] or "current"
        if form.cleaned_data["category"]:
            category = Category.objects.filter(pk=form.cleaned_data["category"]).first()
            category_ids = category.descendant_ids() if category else None
    page = Paginator(
        maintainable_entries(query=query, status=status, category_ids=category_ids), PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(request, "knowledgebase/maintain_list.html", {"form": form, "page": page})


def _saved_message(request, write: services.EntryWrite) -> None:
    messages.success(request, _("Saved as version %(version)s.") % {"version": write.entry.version})
    if write.outdated_proposals:
        messages.info(
            request,
            _(
                "%(count)s open proposal(s) on this entry were marked outdated; their proposers "
                "are asked to rebase them."
            )
            % {"count": len(write.outdated_proposals)},
        )


def _maintain_form_page(request, *, form, entry, mode: str, save):
    """Shared flow of the maintainers' edit pages: "preview" shows the diff, "save" calls the
    service."""
    diff, outdated = None, False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payload = {
            "title": data["title"],
            "body": data["body"],
            "keywords": data["keywords"],
            "category_id": data["category"],
        }
        if "preview" in request.POST:
            diff = payload_diff_html(entry=entry, payload=payload)
        else:
            try:
                write = save(data)
            except AppError as exc:
                form_error(form, exc)
                outdated = isinstance(exc, OutdatedBaseVersion)
            else:
                _saved_message(request, write)
                return redirect("knowledgebase:entry_detail", pk=write.entry.pk)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "knowledgebase/maintain_form.html",
        {"form": form, "entry": entry, "diff": diff, "mode": mode, "outdated": outdated},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@maintainer_required
def maintain_add(request):
    form = EntryMaintainForm(
        request.POST or None, initial={"title": request.GET.get("title", "")[:200]}
    )

    def save(data):
        return services.entry_add(
            author=request.user,
            title=data["title"],
            body=data["body"],
            keywords=data["keywords"],
            category_id=data["category"],
            reason=data["reason"],
            via=EntryChange.Via.WEB,
        )

    return _maintain_form_page(request, form=form, entry=None, mode="new", save=save)


@require_http_methods(["GET", "POST"])
@maintainer_required
def maintain_edit(request, pk: int):
    entry = get_object_or_404(Entry.objects.select_related("category"), pk=pk)
    initial = {
        "category": entry.category_id,
        "title": entry.title,
        "keywords": entry.keywords,
        "body": entry.body,
        "base_version": entry.version,
    }
    form = EntryReviseForm(request.POST or None, initial=initial)

    def save(data):
        return services.entry_revise(
            author=request.user,
            entry_id=entry.pk,
            base_version=data["base_version"],
            title=data["title"],
            body=data["body"],
            keywords=data["keywords"],
            category_id=data["category"],
            reason=data["reason"],
            via=EntryChange.Via.WEB,
        )

    return _maintain_form_page(request, form=form, entry=entry, mode="revise", save=save)


def _retire_or_restore(request, pk: int, *, mode: str):
    entry = get_object_or_404(Entry.objects.select_related("category"), pk=pk)
    form = EntryRetireForm(request.POST or None, initial={"base_version": entry.version})
    service = services.entry_retire if mode == "retire" else services.entry_restore
    if request.method == "POST" and form.is_valid():
        try:
            write = service(
                author=request.user,
                entry_id=entry.pk,
                base_version=form.cleaned_data["base_version"],
                reason=form.cleaned_data["reason"],
                via=EntryChange.Via.WEB,
            )
        except AppError as exc:
            form_error(form, exc)
        else:
            _saved_message(request, write)
            return redirect("knowledgebase:entry_detail", pk=entry.pk)
    status = 400 if request.method == "POST" and form.errors else 200
    return render(
        request,
        "knowledgebase/maintain_retire.html",
        {"form": form, "entry": entry, "mode": mode},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@maintainer_required
def maintain_retire(request, pk: int):
    return _retire_or_restore(request, pk, mode="retire")


@require_http_methods(["GET", "POST"])
@maintainer_required
def maintain_restore(request, pk: int):
    return _retire_or_restore(request, pk, mode="restore")


# --- query-time test -------------------------------------------------------------------


def _own_session(request, pk: int) -> QueryTestSession:
    return get_object_or_404(QueryTestSession, pk=pk, employee=request.user)


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def query_test_home(request):
    config = QueryTimeTest.current()
    page = Paginator(query_test_sessions_of(request.user), PER_PAGE).get_page(
        request.GET.get("page")
    )
    next_start_at = query_test_next_start_at(request.user, config=config)
    bands = [
        {"band": band, "total": band.seconds_per_task * config.task_count}
        for band in QueryTimeThreshold.objects.bands()
    ]
    return render(
        request,
        "knowledgebase/query_test_home.html",
        {
            "config": config,
            "bands": bands,
            "page": page,
            "counting": counting_query_time_result(request.user),
            "next_start_at": next_start_at
            if next_start_at and next_start_at > timezone.now()
            else None,
        },
    )


@require_POST
@permission_required(roles.STUDY, raise_exception=True)
def query_test_start_view(request):
    try:
        session = services.query_test_start(employee=request.user)
    except AppError as exc:
        message_error(request, exc)
        return redirect("knowledgebase:query_test")
    return redirect("knowledgebase:query_test_task", pk=session.pk)


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
@vary_on_headers("HX-Request")
def query_test_task(request, pk: int):
    session = _own_session(request, pk)
    if session.is_finished:
        return redirect("knowledgebase:query_test_result", pk=session.pk)
    answer = session.next_answer()
    form, context = _search_hits(request)
    form.fields["q"].widget.attrs["autofocus"] = (
        True  # the clock runs: the cursor waits in the search box
    )
    context.update(
        {
            "session": session,
            "answer": answer,
            "has_more": False,
            "pick_url": request.path + "answer/",
            "pick_position": answer.position,
        }
    )
    if results_only(request):
        return render(request, "knowledgebase/_results.html", context)
    return render(request, "knowledgebase/query_test_task.html", context)


@require_POST
@permission_required(roles.STUDY, raise_exception=True)
def query_test_answer_view(request, pk: int):
    session = _own_session(request, pk)
    try:
        position, entry_id = (
            int(request.POST.get("position", "")),
            int(request.POST.get("entry", "")),
        )
    except ValueError:
        messages.error(request, _("Pick an entry from the search results."))
        return redirect("knowledgebase:query_test_task", pk=session.pk)
    try:
        session = services.query_test_answer(
            session_id=session.pk, employee=request.user, position=position, entry_id=entry_id
        )
    except AppError as exc:
        message_error(request, exc)
    if session.expired:
        messages.error(request, _(services.MSG_TIME_UP))
    if session.is_finished:
        return redirect("knowledgebase:query_test_result", pk=session.pk)
    return redirect("knowledgebase:query_test_task", pk=session.pk)


@require_GET
@permission_required(roles.STUDY, raise_exception=True)
def query_test_result(request, pk: int):
    session = _own_session(request, pk)
    if not session.is_finished:
        return redirect("knowledgebase:query_test_task", pk=session.pk)
    answers = session.answers.select_related("task__answer", "chosen").order_by("position")
    return render(
        request, "knowledgebase/query_test_result.html", {"session": session, "answers": answers}
    )


# --- calibration (training managers) ------------------------------------------------------


def _histogram_chart(calibration) -> Chart | None:
    """The server-rendered SVG histogram (per-task seconds), with a dashed marker at each
    current threshold that falls inside the plotted range; None without results."""
    bins = calibration.histogram
    if not bins:
        return None
    left, top, plot_h, bar_w = 40, 10, 160, 22
    baseline = top + plot_h
    tallest = charts.top_of(b.count for b in bins)
    chart = Chart(
        width=left + len(bins) * bar_w + 20,
        height=baseline + 40,
        label=_("Number of results per 0.1 s of time per question"),
    )
    chart.line(left, baseline, chart.width, baseline)
    chart.text(4, top + 8, tallest)
    for i, b in enumerate(bins):
        x = left + i * bar_w
        height = charts.length(b.count, tallest, plot_h, digits=0)
        if height:
            upper = b.upper if b.upper is not None else "…"
            chart.rect(
                x, baseline - height, bar_w - 2, height, title=f"{b.lower}–{upper} s: {b.count}"
            )
        if i % 2 == 0:
            chart.text(x, baseline + 14, b.lower)
    low = bins[0].lower
    for share in calibration.bands:
        if share.at_most is None:
            continue
        position = (share.at_most - low) / HISTOGRAM_BIN
        if 0 <= position <= len(bins):
            x = round(left + float(position) * bar_w, 1)
            title = _("≤ %(s)s s: level %(level)s") % {
                "s": share.at_most,
                "level": share.allowed_level,
            }
            chart.line(x, top, x, baseline, cls="band-line", title=title)
            chart.text(x, baseline + 28, f"L{share.allowed_level}", cls="band-label")
    return chart


def _calibration_days(request) -> tuple[CalibrationForm, int]:
    form = CalibrationForm(request.GET or None)
    days = (
        form.cleaned_data["days"]
        if form.is_valid() and form.cleaned_data.get("days")
        else CALIBRATION_DEFAULT_DAYS
    )
    return form, days


@require_GET
@permission_required(roles.MANAGE_TRAINING, raise_exception=True)
def query_time_calibration_page(request):
    """Recent results against the bands and the seed's reference shares, with suggested
    thresholds; a training manager changes the bands in admin."""
    form, days = _calibration_days(request)
    status = 400 if form.is_bound and not form.is_valid() else 200
    calibration = query_time_calibration(days=days)
    return render(
        request,
        "knowledgebase/query_time_calibration.html",
        {
            "form": form,
            "calibration": calibration,
            "chart": _histogram_chart(calibration),
        },
        status=status,
    )


STALE_PER_PAGE = 20
TOP_MISSES = 10


@require_GET
@login_required
def knowledge_work(request):
    """The knowledge-work queue of review experts and operations managers: cases and
    query-time-test tasks whose cited entry changed since they were last reviewed (each with
    the diff of the entry, to mark reviewed or to answer with a case revision proposal), a
    chart of them per category and waiting time (the same scope), and the most frequent search
    misses."""
    if not can_review_misses(request.user):
        raise PermissionDenied
    flags = stale_flags_for(request.user)
    page = Paginator(flags, STALE_PER_PAGE).get_page(request.GET.get("page"))
    diffs = flag_diffs(page.object_list)
    revisable = revisable_cases(request.user, [flag.case_id for flag in page.object_list])
    misses = list(search_misses(days=MISSES_DAYS)[:TOP_MISSES])
    return render(
        request,
        "knowledgebase/knowledge_work.html",
        {
            "page": page,
            "items": [
                (flag, diffs[flag.pk], flag.case_id in revisable) for flag in page.object_list
            ],
            "misses": misses,
            "misses_chart": misses_chart(misses),
            "stale_chart": stale_chart(stale_counts(flags)),
            "days": MISSES_DAYS,
        },
    )


@require_POST
@login_required
def stale_resolve(request, pk: int):
    """Resolve one stale item: "reviewed", or "revision" (then the case's revision form)."""
    from knowledgebase.models import StaleFlag

    form = StaleResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how the item was resolved."))
        return redirect("knowledgebase:knowledge_work")
    try:
        flag = services.stale_flag_resolve(
            user=request.user, flag_id=pk, resolution=form.cleaned_data["resolution"]
        )
    except StaleFlag.DoesNotExist:
        raise Http404 from None
    except AppError as exc:
        message_error(request, exc)
        return redirect("knowledgebase:knowledge_work")
    if flag.status == StaleFlag.Status.REVISION:
        return redirect(revision_page(request.user, flag.case_id))
    messages.success(request, _("Marked reviewed."))
    return redirect("knowledgebase:knowledge_work")
