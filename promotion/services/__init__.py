"""Writes of the promotion app, one module per concern (import from the module itself):

- ``common``: the errors every promotion service raises, the employee lock they take first
  (config/locks.py) and the "give a reason" message;
- ``notifications``: in-app notifications (one, idempotent by key; many at once; marked read);
- ``levels``: THE level changes (employee_promote, employee_demote, _demote_locked for one
  employee or a batch, promotion_history_backfill), each with its PromotionEvent; a promotion
  opens the retention period that follows it and pays the mentor;
- ``exams``: promotion and re-test exams (start, save answers, submit, expire, grading and
  item responses, exam_history_backfill);
- ``mentoring``: mentor and apprentice pairs (create, end, history);
- ``medals``: medals awarded by managers;
- ``retention``: the daily retention (保级) job, set-based (retention_run_daily).
"""
