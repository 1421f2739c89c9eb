"""When the grader or a question is wrong: who may configure mlq, grade disputes and their
recount, question reports and retirements.

- ``admins``: who counts as an admin (platform admins, the installer, people added with
  ``/mlq admins add``) and the ``/mlq admins`` commands.
- ``filing``: a member disputes their answer's grade (button or ``/mlq dispute``).
- ``resolve`` and ``recount``: an admin keeps or sets the grade; the round is recounted once.
- ``reports``: reporting a question, listing reports, retiring a question for a workspace.
- ``export``: what ``mlq bank export-feedback`` and ``mlq bank reports`` print.
"""
