"""indexes for the pages: posts newest first, a post's tags and comments, a tag's and a user's posts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Without them every page reads whole tables: the home page sorted every post to show ten, and
# found each post's tags by reading all of post_tags. What it cost grew with the blog.
INDEXES = [  # name, table, columns, whether it starts with a foreign key's column
    ('ix_post_publish_date_id', 'post', ['publish_date', 'id'], False),
    ('ix_post_user_id', 'post', ['user_id'], True),
    ('ix_comment_post_id', 'comment', ['post_id'], True),
    ('ix_post_tags_post_id_tag_id', 'post_tags', ['post_id', 'tag_id'], True),
    ('ix_post_tags_tag_id', 'post_tags', ['tag_id'], True),
]


def upgrade():
    for name, table, columns, _ in INDEXES:
        op.create_index(name, table, columns, if_not_exists=True)


def downgrade():
    # MariaDB and MySQL index a foreign key's column themselves; an index of ours on it takes that
    # index's place, and they refuse to drop it while the foreign key needs it: there it stays.
    mysql = op.get_bind().dialect.name == 'mysql'
    for name, table, _, foreign_key in reversed(INDEXES):
        if not (mysql and foreign_key):
            op.drop_index(name, table_name=table)
