//! Who works in the org: the owner invites staff by a one-time link (emailed to them through
//! Opsquad's own mail server when it has one, and shown to the owner either way) and removes
//! members.

use domain::{Email, Role, UserId};
use serde_json::json;
use store::invitations::{self, PendingInvitation};
use store::{audit, sessions, users, Db, TenantScope, TenantTx};

use squad::link_tokens::PublicUrl;

use crate::account_mail::{AccountMail, Notice};
use crate::permissions::{require, Operation};
use crate::OpsError;

/// A new invitation and the one-time token for its link (shown once, stored only as a hash).
#[derive(Debug)]
pub struct Invited {
    pub invitation: PendingInvitation,
    pub token: String,
    /// Whether the link was emailed to the invitee (no mail server, or one that refused it: the
    /// owner passes the link on instead).
    pub emailed: bool,
}

/// Invites `email` to join as staff, and emails them the link when `mail` can.
pub async fn invite(
    db: &Db,
    scope: &TenantScope,
    email: &Email,
    mail: &AccountMail,
    site: &PublicUrl,
) -> Result<Invited, OpsError> {
    require(scope, Operation::ManageTeam)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    if users::find_active_by_email(&mut tx, email).await?.is_some() {
        return Err(OpsError::conflict_on("email", format!("{} is already on your team.", email.canonical())));
    }
    let (token, token_hash) = auth::invite::generate();
    let invitation = invitations::create(&mut tx, email, &token_hash).await?;
    let entry = json!({ "email": invitation.email, "role": "staff" });
    audit::record(&mut tx, &format!("invited {}", invitation.email), &entry).await?;
    let business = store::orgs::current(&mut tx).await?.name;
    let inviter = match scope.user_id() {
        Some(id) => users::get(&mut tx, id).await?.and_then(|u| u.name),
        None => None,
    };
    tx.commit().await?;
    let emailed = mail.can_send()
        && {
            let who = inviter.unwrap_or_else(|| format!("The owner of {business}"));
            let notice = Notice {
            to: invitation.email.clone(),
            subject: format!("{business} invites you to its team on Opsquad"),
            text: format!(
                "Hello,\n\n{who} invited you to join {business} on Opsquad, where the shop's leads, jobs and \
                 invoices are run.\n\nOpen this link to choose a password and join (it works once, for {} days):\n{}\n\n\
                 If you did not expect this, ignore this email: nothing happens without the link.",
                store::invitations::VALID_FOR_MS / (24 * 60 * 60 * 1000),
                site.link("invite", &token)
            ),
        };
            match mail.send(&notice).await {
                Ok(()) => true,
                Err(err) => {
                    tracing::warn!(org_id = %scope.org_id(), error = %err, "the invitation could not be emailed");
                    false
                }
            }
        };
    Ok(Invited { invitation, token, emailed })
}

pub async fn revoke_invitation(db: &Db, scope: &TenantScope, id: &str) -> Result<(), OpsError> {
    require(scope, Operation::ManageTeam)?;
    let mut tx = TenantTx::begin(db, scope).await?;
    let email = invitations::revoke(&mut tx, id).await?.ok_or(OpsError::NotFound)?;
    audit::record(&mut tx, &format!("invitation withdrawn: {email}"), &json!({ "email": email })).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables a member and ends their sessions at once; the audit log keeps their name on what they
/// did. Nobody removes themselves or the owner.
pub async fn remove_member(db: &Db, scope: &TenantScope, user_id: UserId) -> Result<(), OpsError> {
    require(scope, Operation::ManageTeam)?;
    if scope.user_id() == Some(user_id) {
        return Err(OpsError::validation("member", "You can't remove yourself."));
    }
    let mut tx = TenantTx::begin(db, scope).await?;
    let member = users::get(&mut tx, user_id).await?.ok_or(OpsError::NotFound)?;
    if member.role == Role::Owner {
        return Err(OpsError::validation("member", "The account owner can't be removed."));
    }
    if !users::disable(&mut tx, user_id).await? {
        return Err(OpsError::NotFound);
    }
    sessions::delete_for_user(&mut tx, user_id).await?;
    audit::record(&mut tx, &format!("removed {}", member.email), &json!({ "email": member.email })).await?;
    tx.commit().await?;
    tracing::info!(org_id = %scope.org_id(), user_id = %user_id, "member removed");
    Ok(())
}
