"""Accounts and the audit log: login, one's own account and activity, account and jurisdiction
administration, the audit log and key administration. Always mounted."""

from kotwal.core.policy import Permission
from kotwal.manifest import Commands, Manifest, NavLink

MANIFEST = Manifest(
    name="accounts",
    title="Accounts and audit",
    package="kotwal.accounts",
    permissions=(Permission,),
    api=("kotwal.accounts.api",),
    views=("kotwal.accounts.views",),
    templates=True,
    dashboard=("kotwal.accounts.dashboard:panels",),
    nav=(
        NavLink(
            "Accounts",
            "/admin/accounts",
            Permission.CORE_ACCOUNT_MANAGE,
            order=100,
            invitation="Manage accounts",
        ),
        NavLink(
            "Approvals",
            "/admin/power-requests",
            Permission.CORE_POWER_APPROVE,
            order=102,
            invitation="Decide what administrators asked",
        ),
        NavLink(
            "Audit log",
            "/audit",
            Permission.AUDIT_LOG_READ,
            order=105,
            invitation="Read the audit log",
        ),
    ),
    commands=(
        Commands("user", "kotwal.accounts.cli:user_app", "Manage officers' accounts."),
        Commands("jurisdiction", "kotwal.accounts.cli:jurisdiction_app", "The jurisdiction tree."),
        Commands(
            "audit",
            "kotwal.accounts.audit_cli:app",
            "Verify, checkpoint, witness and export the audit log.",
        ),
        Commands("keys", "kotwal.accounts.keys_cli:app", "Key status, rotation and retirement."),
    ),
    always=True,
)
