"""reminders as an outbox: when each was sent, claimed by a worker, queued by the sweeper (chapter 9)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08

A reminder saved before this revision has no `sent_at`: the sweeper (`send_due_reminders`) would mail
every past one again. The upgrade marks those already due as sent at their date (their tasks ran, or
were lost with no way to tell); the ones still to come are sent when due.
"""
import datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reminder') as batch:
        batch.add_column(sa.Column('sent_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('claimed_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('queued_at', sa.DateTime(), nullable=True))
    reminder = sa.table('reminder', sa.column('date', sa.DateTime()), sa.column('sent_at', sa.DateTime()))
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    op.execute(reminder.update().where(reminder.c.date <= now).values(sent_at=reminder.c.date))
    # What the sweeper asks for: the unsent reminders, by date.
    op.create_index('ix_reminder_unsent_date', 'reminder', ['sent_at', 'date'])


def downgrade():
    op.drop_index('ix_reminder_unsent_date', table_name='reminder')
    with op.batch_alter_table('reminder') as batch:
        batch.drop_column('queued_at')
        batch.drop_column('claimed_at')
        batch.drop_column('sent_at')
