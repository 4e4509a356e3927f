"""Writes of the case libraries, one module per concern (import from the module itself):

- errors: the error vocabulary (CaseError, CaseConflict, CasePermissionDenied, …)
- events: the CaseEvent audit trail (case_event_record)
- tree: text-case tree writes (valid_tree, write_tree, tree_text_of)
- audio: recordings of voice cases (audio_validate, storage, cleanup and the orphan sweep)
- content: a case's content (case_create, write_content, case_payload)
- proposals: new-case and revision proposals and their appliers
- quality: quality-case review applications
- maintenance: direct changes by case maintainers and the admin
- voice: suggested calls, reflections, the trainer's commentary
- study: marked studied, ratings
- exam_use: exam uses and exposures ("shown in full")
- pruning: library caps and retirement candidates
- retirement: experts' decisions on retirement candidates
- item_moves: moves proposed from the exam item statistics

Cases enter and change through the review engine (proposals, quality, item_moves: appliers
registered in casebase.review_kinds) or directly by case maintainers (maintenance); both write
a case's content through content.write_content, and every important change writes a
CaseEvent through events.case_event_record.
"""
