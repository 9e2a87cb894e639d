"""
Badge templates: what an organization can award, and in which state (draft, active, archived).

Creating or editing a template records a ``badge_template.*`` event. A template answers
with its owner, image and public URL as Credly renders them. The demo's organization and
its six templates have fixed ids, seeded here, so the demo's configuration is written once.
"""
from __future__ import annotations

import uuid

from .base import FakeCredlyError, StateBase, iso, slug, split_csv

TEMPLATE_STATES = ("draft", "active", "archived")
TEMPLATE_NOT_FOUND_MESSAGE = "Badge template not found"
TEMPLATE_FILTERS = frozenset({"state", "name"})
TEMPLATE_EDITABLE = frozenset({"name", "description", "state", "allow_duplicate_badges", "skills", "vanity_slug"})
DEMO_ORG_ID = "0d3f5b8e-7c1a-4c2e-9a51-6f0e2b7d4c10"
DEMO_TOKEN = "demo-credly-token"
DEMO_CLIENT_ID = "demo-client-id"
DEMO_CLIENT_SECRET = "demo-client-secret"
DEMO_TEMPLATES = (
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c01", "Python Fundamentals", "active"),
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c02", "Data Analysis Capstone", "active"),
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c03", "Legacy Course Completion", "archived"),
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c04", "Python Data Specialist", "active"),
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c05", "Data Analysis with Distinction", "active"),
    ("5a7c9e1f-2b4d-4f6a-8c0e-1d3f5a7b9c06", "Python Fundamentals with Honours", "active"),
)


class TemplatesMixin(StateBase):
    """Badge templates by id and by organization, and the demo's seed."""

    def _forget_templates(self) -> None:
        self._templates = {}
        self._templates_by_org: dict[str, list[str]] = {}

    # ``id`` (as in Credly's JSON) is passed by keyword, also by the control endpoints' JSON bodies.
    def add_template(  # pylint: disable=redefined-builtin
        self, org_id: str, name: str, *, id: str | None = None, description: str = "",
        state: str = "active", allow_duplicate_badges: bool = False,
        skills: list | None = None, vanity_slug: str | None = None,
    ) -> dict:
        """Create a badge template and record ``badge_template.created``."""
        if state not in TEMPLATE_STATES:
            raise FakeCredlyError(400, f"state must be one of {TEMPLATE_STATES}")
        with self._lock:
            self._org(org_id, status=404)
            template_id = id or str(uuid.uuid4())
            if template_id in self._templates:
                raise FakeCredlyError(409, f"Badge template {template_id} already exists")
            now = self.now()
            self._templates[template_id] = {
                "id": template_id, "organization_id": org_id, "name": name, "description": description,
                "state": state, "allow_duplicate_badges": bool(allow_duplicate_badges),
                "skills": list(skills or []), "vanity_slug": vanity_slug or slug(name),
                "image_id": str(uuid.uuid5(uuid.NAMESPACE_URL, template_id)),
                "created_at": now, "updated_at": now,
            }
            self._templates_by_org.setdefault(org_id, []).append(template_id)
            self._record_event("badge_template.created", org_id, template_id=template_id)
            return self._template_json(self._templates[template_id])

    def update_template(self, template_id: str, **changes) -> dict:
        """Edit a template (e.g. archive it) and record ``badge_template.changed``."""
        unknown = set(changes) - TEMPLATE_EDITABLE
        if unknown:
            raise FakeCredlyError(400, f"Cannot change {sorted(unknown)}")
        if "state" in changes and changes["state"] not in TEMPLATE_STATES:
            raise FakeCredlyError(400, f"state must be one of {TEMPLATE_STATES}")
        with self._lock:
            template = self._templates.get(template_id)
            if template is None:
                raise FakeCredlyError(404, TEMPLATE_NOT_FOUND_MESSAGE)
            template.update(changes)
            template["updated_at"] = self.now()
            self._record_event("badge_template.changed", template["organization_id"], template_id=template_id)
            return self._template_json(template)

    def seed_demo(self) -> dict:
        """Seed (once) the demo organization, its token and six templates, one archived."""
        with self._lock:
            if DEMO_ORG_ID not in self._orgs:
                self.add_organization("Demo University", id=DEMO_ORG_ID, token=DEMO_TOKEN,
                                      client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET)
                for template_id, name, state in DEMO_TEMPLATES:
                    self.add_template(DEMO_ORG_ID, name, id=template_id, state=state,
                                      description=f"Awarded for completing {name}.",
                                      skills=["Open edX", name.split()[0]])
            return {
                "organization_id": DEMO_ORG_ID, "organization_name": "Demo University", "token": DEMO_TOKEN,
                "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET,
                "templates": [{"id": tid, "name": name, "state": self._templates[tid]["state"]}
                              for tid, name, _ in DEMO_TEMPLATES],
            }

    def list_templates(self, org_id: str, filters: dict[str, str], page: int, per: int) -> tuple[list, int]:
        """One page of the organization's templates matching ``filters`` (state, name), and how many match."""
        with self._lock:
            self._org(org_id)
            states = split_csv(filters["state"]) if "state" in filters else None
            name = filters.get("name", "").lower()
            rows = [t for t in map(self._templates.get, self._templates_by_org.get(org_id, ()))
                    if (states is None or t["state"] in states) and name in t["name"].lower()]
            return [self._template_json(t) for t in rows[(page - 1) * per: page * per]], len(rows)

    def get_template(self, org_id: str, template_id: str) -> dict:
        """One of the organization's templates; 404 for another organization's."""
        with self._lock:
            template = self._templates.get(template_id)
            if template is None or template["organization_id"] != org_id:
                raise FakeCredlyError(404, TEMPLATE_NOT_FOUND_MESSAGE)
            return self._template_json(template)

    def template_name(self, template_id: str) -> str:
        """A template's name, for its image on the web pages."""
        with self._lock:
            template = self._templates.get(template_id)
            if template is None:
                raise FakeCredlyError(404, TEMPLATE_NOT_FOUND_MESSAGE)
            return template["name"]

    def _template_json(self, template: dict) -> dict:
        """A badge template as Credly answers it."""
        org = self._orgs[template["organization_id"]]
        image_url = f"{self.base_url}/images/{template['id']}.svg"
        return {
            "id": template["id"], "name": template["name"], "description": template["description"],
            "state": template["state"], "allow_duplicate_badges": template["allow_duplicate_badges"],
            "image_url": image_url, "image": {"id": template["image_id"], "url": image_url},
            "url": f"{self.base_url}/org/{slug(org['name'])}/badge/{template['vanity_slug']}",
            "vanity_slug": template["vanity_slug"], "skills": list(template["skills"]),
            "created_at": iso(template["created_at"]), "updated_at": iso(template["updated_at"]),
            "public": True, "recipient_type": "User", "level": None, "time_to_earn": None,
            "owner": {"id": org["id"], "name": org["name"], "type": "Organization"},
        }
