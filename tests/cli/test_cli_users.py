"""``erpsync users add``."""

from __future__ import annotations

from cli_helpers import assert_clean_error

from erpsync.host import users


def test_add_admin_with_password_from_stdin(cli, db):
    result = cli("users", "add", "Alice", "--admin", "--password-stdin", input="s3cret pass\n")
    assert result.exit_code == 0, result.output
    assert "Admin user Alice created" in result.stdout
    row = users.authenticate(db, "alice", "s3cret pass")
    assert row is not None and row.is_admin
    assert users.authenticate(db, "alice", "s3cret pass\n") is None


def test_add_plain_user_with_profile_language(cli, db):
    result = cli("users", "add", "bob", "--password-stdin", "--locale", "nb_NO",
                 "--display-name", "Bob B.", input="pw\n")
    assert result.exit_code == 0, result.output
    row = users.get_user_by_name(db, "bob")
    assert (row.is_admin, row.locale, row.display_name) == (False, "no", "Bob B.")


def test_taken_username_is_bad_input(cli):
    assert cli("users", "add", "carol", "--password-stdin", input="a\n").exit_code == 0
    result = cli("users", "add", "CAROL", "--password-stdin", input="b\n")
    assert_clean_error(result, 2, "already taken")


def test_empty_password_is_bad_input(cli, db):
    result = cli("users", "add", "dave", "--password-stdin", input="\n")
    assert_clean_error(result, 2, "password cannot be empty")
    assert users.get_user_by_name(db, "dave") is None


def test_without_terminal_the_password_must_come_from_stdin(cli, db_path):
    result = cli("users", "add", "erin", input="pw\n")
    assert_clean_error(result, 2, "--password-stdin")
    assert not db_path.exists()
