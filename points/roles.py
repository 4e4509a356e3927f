"""Permission strings of the points app (custom permissions on its models, granted to the
Training manager and Operations manager groups by migration 0003)."""

CORRECT_ENTRIES = "points.correct_entries"
JUDGE_PROPOSALS = "points.judge_proposals"
MANAGE_QC_TOPICS = "points.manage_qc_topics"
IMPORT_VOLUNTEER_SHEETS = "points.import_volunteer_sheets"
VIEW_ENTRIES = "points.view_pointsentry"
