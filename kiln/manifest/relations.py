"""Link ref fields into named relations, both ways, and check that every name is unambiguous.

``Post.author_id = { type = "ref", to = "Author" }`` gives ``Post.author`` (to one) and
``Author.posts`` (to many; the referencing entity's plural unless ``related_name`` says otherwise).
"""

from __future__ import annotations

from dataclasses import replace

from kiln.manifest.model import Entity, Relation
from kiln.manifest.report import Report, did_you_mean

__all__ = ["BUILT_IN_TARGETS", "link_relations"]

#: Entities kiln provides itself, and the table of app.toml that turns each on.
BUILT_IN_TARGETS = {"User": "[auth]"}


def link_relations(entities: dict[str, Entity], report: Report) -> dict[str, Entity]:
    """The entities with their relations filled in; refs to unknown entities are errors."""
    relations: dict[str, dict[str, Relation]] = {name: {} for name in entities}
    origin: dict[tuple[str, str], str] = {}  # (entity, relation name) -> key path that made it

    def claim(entity: str, relation: Relation, at: str) -> None:
        if relation.name in entities[entity].fields:
            report.error(at, f'the relation "{relation.name}" on {entity} has the name of one of its fields')
        elif (entity, relation.name) in origin:
            report.error(
                at,
                f'{entity} already has a relation "{relation.name}" '
                f"(from {origin[(entity, relation.name)]}); "
                "set related_name to tell them apart",
            )
        else:
            origin[(entity, relation.name)] = at
            relations[entity][relation.name] = relation

    for entity in entities.values():
        for field in entity.fields.values():
            if field.type != "ref":
                continue
            at = f"entities.{entity.name}.fields.{field.name}"
            target = field.to or ""
            if target in BUILT_IN_TARGETS and target not in entities:
                report.error(f"{at}.to", f"refs to {target} need {BUILT_IN_TARGETS[target]} in app.toml")
                continue
            if target not in entities:
                report.error(f"{at}.to", f'unknown entity "{target}"' + did_you_mean(target, entities))
                continue
            name = field.name.removesuffix("_id")
            claim(entity.name, Relation(name, "one", entity.name, target, field.name, field.on_delete), at)
            reverse = field.related_name or entity.plural
            claim(
                target,
                Relation(reverse, "many", target, entity.name, field.name, field.on_delete),
                f"{at}.related_name" if field.related_name else at,
            )
    return {name: replace(entity, relations=relations[name]) for name, entity in entities.items()}
