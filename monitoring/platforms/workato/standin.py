"""Workato Developer API, as its adapter reads it.

The stand-in for tests and benchmarks: see monitoring/platforms/standin.py."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from monitoring.platforms.standin import REFUSED, Answer, Recorded, StandIn, bearer_ok


class WorkatoStandIn(StandIn):
    """Workato Developer API: recipe jobs (newest first, offset_job_id paging) and recipes, Bearer.

    Repeating jobs (POST repeat_jobs) starts a new pending job for each, as Workato does: the same title,
    is_repeat true and master_job_id naming the original job (the first of a chain of repeats); finish()
    ends a pending job. GET /api/recipes honours running=true."""

    def __init__(
        self,
        *,
        token: str,
        jobs: dict[str, list[dict[str, Any]]],
        recipes: list[dict[str, Any]] | None = None,
        page_size: int = 2,
    ) -> None:
        super().__init__()
        self.token = token
        self.jobs = jobs  # recipe id -> jobs, newest first
        self.recipes = recipes or []
        self.page_size = page_size
        self.repeated: list[tuple[str, list[str]]] = []  # (recipe id, job ids in the order received)
        self.repeats = 0  # repeat jobs started so far (they are named j-repeat-1, j-repeat-2, ...)
        self.route("GET", r"/api/recipes/(\w+)/jobs", self._jobs)
        self.route("GET", "/api/recipes", self._recipes)
        self.route("GET", r"/api/recipes/(\w+)", self._recipe)
        self.route("POST", r"/api/recipes/(\w+)/repeat_jobs", self._repeat_jobs)

    def _jobs(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not bearer_ok(request, self.token):
            return REFUSED
        if match.group(1) not in self.jobs:
            return Answer(404, {"message": "Not found"})
        jobs = self.jobs[match.group(1)]
        start = 0
        if offset := request.query.get("offset_job_id"):
            assert request.query.get("prev", "false") == "false", "stand-in pages backwards only"
            start = [str(j["id"]) for j in jobs].index(offset) + 1
        page = jobs[start : start + self.page_size]
        return Answer(
            200,
            {
                "job_succeeded_count": sum(j.get("status") == "succeeded" for j in jobs),
                "job_failed_count": sum(j.get("status") == "failed" for j in jobs),
                "job_count": len(jobs),
                "items": page,
            },
        )

    def _repeat_jobs(self, request: Recorded, match: re.Match[str]) -> Answer:
        """Repeat jobs: {"job_ids": [...]}, at most 25 per request, each a job of the recipe."""
        if not bearer_ok(request, self.token):
            return REFUSED
        job_ids = request.json().get("job_ids")
        if not isinstance(job_ids, list) or not job_ids or len(job_ids) > 25:
            return Answer(400, {"message": "job_ids must list 1 to 25 jobs"})
        known = {str(j["id"]) for j in self.jobs.get(match.group(1), [])}
        if unknown := [j for j in job_ids if str(j) not in known]:
            return Answer(404, {"message": f"jobs not found: {unknown}"})
        self.repeated.append((match.group(1), [str(j) for j in job_ids]))
        for job_id in job_ids:
            self.repeat(match.group(1), str(job_id))
        return Answer(200, {"success": True})

    def repeat(self, recipe_id: str, job_id: str) -> str:
        """Start a repeat of a job: a new pending job on top of the recipe's list; its id."""
        jobs = self.jobs[recipe_id]
        original = next(j for j in jobs if str(j["id"]) == job_id)
        self.repeats += 1
        new_id = f"j-repeat-{self.repeats}"
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        jobs.insert(
            0,
            {
                "id": new_id,
                "started_at": now,
                "completed_at": None,
                "title": original.get("title"),
                "is_poll_error": False,
                "error": None,
                "is_error": False,
                "status": "pending",
                "is_repeat": True,
                "master_job_id": original.get("master_job_id") or str(original["id"]),
            },
        )
        return new_id

    def finish(self, recipe_id: str, job_id: str, status: str = "succeeded", error: str | None = None) -> None:
        """End a pending job: succeeded, or failed with an error."""
        job = next(j for j in self.jobs[recipe_id] if str(j["id"]) == job_id)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        job.update(status=status, completed_at=now, is_error=status == "failed", error=error)

    def _recipe(self, request: Recorded, match: re.Match[str]) -> Answer:
        """One recipe's details; a recipe with jobs but not listed in `recipes` is running."""
        if not bearer_ok(request, self.token):
            return REFUSED
        recipe_id = match.group(1)
        found = next((r for r in self.recipes if str(r["id"]) == recipe_id), None)
        if found is None and recipe_id in self.jobs:
            found = {"id": int(recipe_id) if recipe_id.isdigit() else recipe_id, "name": "", "running": True}
        return Answer(200, found) if found else Answer(404, {"message": "Not found"})

    def _recipes(self, request: Recorded, match: re.Match[str]) -> Answer:
        if not bearer_ok(request, self.token):
            return REFUSED
        page, per_page = int(request.query.get("page", 1)), int(request.query.get("per_page", 100))
        recipes = self.recipes
        if request.query.get("running") == "true":
            recipes = [r for r in recipes if r.get("running") is True]
        return Answer(200, {"items": recipes[(page - 1) * per_page : page * per_page]})
