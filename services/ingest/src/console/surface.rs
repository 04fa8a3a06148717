//! Who is looking: the console (an organization's key) or the portal (one subscription,
//! maybe read-only). Pages shared by both ask it for paths and permissions.

use super::error::PageError;
use super::layout::Chrome;
use crate::auth::Caller;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
pub struct PortalScope {
    pub subscription_id: Uuid,
    pub app_id: Uuid,
    pub read_only: bool,
}

pub struct Surface<'a> {
    pub caller: Caller,
    pub csrf: &'a str,
    pub portal: Option<PortalScope>,
}

impl Surface<'_> {
    pub fn chrome(&self) -> Chrome<'_> {
        match self.portal {
            None => Chrome::Console { csrf: self.csrf },
            Some(_) => Chrome::Portal { csrf: self.csrf },
        }
    }

    /// Whether mutating controls are shown and accepted.
    pub fn can_change(&self) -> bool {
        self.portal.is_none_or(|p| !p.read_only)
    }

    /// 403 for a mutating request in a read-only portal.
    pub fn require_change(&self) -> Result<(), PageError> {
        if self.can_change() {
            Ok(())
        } else {
            Err(PageError::forbidden("This portal link is read-only."))
        }
    }

    /// The subscription the portal is limited to.
    pub fn scope(&self) -> Option<Uuid> {
        self.portal.map(|p| p.subscription_id)
    }

    pub fn endpoint_path(&self, subscription_id: Uuid, endpoint_id: Uuid) -> String {
        match self.portal {
            None => format!("/console/subscriptions/{subscription_id}/endpoints/{endpoint_id}"),
            Some(_) => format!("/portal/endpoints/{endpoint_id}"),
        }
    }

    pub fn endpoints_path(&self, subscription_id: Uuid) -> String {
        match self.portal {
            None => format!("/console/subscriptions/{subscription_id}"),
            Some(_) => "/portal/endpoints".to_owned(),
        }
    }

    pub fn message_path(&self, message_id: Uuid) -> String {
        match self.portal {
            None => format!("/console/messages/{message_id}"),
            Some(_) => format!("/portal/messages/{message_id}"),
        }
    }

    pub fn messages_path(&self, app_id: Uuid) -> String {
        match self.portal {
            None => format!("/console/apps/{app_id}/messages"),
            Some(_) => "/portal/messages".to_owned(),
        }
    }
}
