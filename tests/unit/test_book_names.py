"""The names the book gives its tables, columns and relationships (chapter 2), which later chapters,
the notebooks and a reader's own queries rely on: a behaviour that works under another name is not the
book's."""
import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.chapters(since=2)

# The book's data model (book-map "The final data model"), as far as chapter 2 builds it.
TABLES = {
    "user": {"id", "username", "password"},
    "post": {"id", "title", "text", "publish_date", "user_id"},
    "comment": {"id", "name", "text", "date", "post_id"},
    "tag": {"id", "title"},
    "post_tags": {"post_id", "tag_id"},
}
# model: {relationship: (the model it leads to, where the book declares it)}
RELATIONSHIPS = {
    "User": {"posts": ("Post", "User.posts")},
    "Post": {"user": ("User", "backref='user' on User.posts"), "comments": ("Comment", "Post.comments"),
             "tags": ("Tag", "Post.tags, secondary=post_tags")},
    "Comment": {"post": ("Post", "backref='post' on Post.comments")},
    "Tag": {"posts": ("Post", "backref 'posts' on Post.tags")},
}


def differences(db, models) -> list[str]:
    found = []
    tables = db.metadata.tables
    for table, columns in TABLES.items():
        if table not in tables:
            others = sorted(set(tables) - set(TABLES))
            found.append(f"no table named {table}" + (f" (found {', '.join(others)})" if others else ""))
            continue
        missing = columns - set(tables[table].columns.keys())
        if missing:
            found.append(f"table {table} has no column {', '.join(sorted(missing))}")
    for model, relationships in RELATIONSHIPS.items():
        mapper = sa.inspect(getattr(models, model))
        for name, (target, declared) in relationships.items():
            relationship = mapper.relationships.get(name)
            if relationship is None:
                found.append(f"{model}.{name} is not a relationship (the book's {declared})")
            elif relationship.mapper.class_.__name__ != target:
                found.append(f"{model}.{name} leads to {relationship.mapper.class_.__name__}, "
                             f"not {target}")
    if "post_tags" in tables and getattr(models, "tags", None) is not tables["post_tags"]:
        found.append("the module's `tags` is not the post_tags table (the book's tags = db.Table(…))")
    return found


def test_tables_columns_and_relationships_have_the_books_names(db, models):
    """The tables, columns and relationships carry the book's names."""
    found = differences(db, models)
    assert not found, "; ".join(found)
