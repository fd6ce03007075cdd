"""chapter 6: roles (admin, poster, default) and role_users; unique usernames; social-login ids

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# The book's roles; every new user is given `default`, so it must exist before anyone registers.
ROLES = [
    {'name': 'admin', 'description': 'Can edit any post'},
    {'name': 'poster', 'description': 'Can write posts'},
    {'name': 'default', 'description': 'Every user'},
]


def upgrade():
    role = op.create_table('role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', name='uq_role_name')
    )
    op.create_table('role_users',
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['role_id'], ['role.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], )
    )
    op.bulk_insert(role, ROLES)
    # Users who were there before this revision get the default role too.
    op.execute(
        "INSERT INTO role_users (user_id, role_id) "
        "SELECT u.id, r.id FROM {} u, role r WHERE r.name = 'default'".format(
            op.get_bind().dialect.identifier_preparer.quote('user'))
    )
    # batch: SQLite cannot add a constraint to a table in place; Alembic rebuilds the table there.
    with op.batch_alter_table('user') as batch_op:
        batch_op.add_column(sa.Column('social_id', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_user_username', ['username'])
        batch_op.create_unique_constraint('uq_user_social_id', ['social_id'])


def downgrade():
    with op.batch_alter_table('user') as batch_op:
        batch_op.drop_constraint('uq_user_social_id', type_='unique')
        batch_op.drop_constraint('uq_user_username', type_='unique')
        batch_op.drop_column('social_id')
    op.drop_table('role_users')
    op.drop_table('role')
