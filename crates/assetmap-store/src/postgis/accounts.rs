// STUB(accounts): replaced by the accounts work.
use crate::accounts::*;
use crate::StoreError;
use assetmap_core::{Asset, AssetId};
use chrono::{DateTime, Utc};

fn stub<T>() -> Result<T, StoreError> {
    Err(StoreError::Other("STUB(accounts): not kept yet".into()))
}

#[async_trait::async_trait]
impl AccountStore for super::PostgisStore {
    async fn add_account(&self, _: &Account) -> Result<(), StoreError> {
        stub()
    }
    async fn account(&self, _: &str) -> Result<Option<Account>, StoreError> {
        stub()
    }
    async fn account_by_email(&self, _: &str) -> Result<Option<Account>, StoreError> {
        stub()
    }
    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        stub()
    }
    async fn update_account(&self, _: &str, _: &AccountChange) -> Result<(), StoreError> {
        stub()
    }
    async fn set_stewardship(
        &self,
        _: &str,
        _: &AssetId,
        _: Option<bool>,
    ) -> Result<(), StoreError> {
        stub()
    }
    async fn create_session(&self, _: &Session) -> Result<(), StoreError> {
        stub()
    }
    async fn session(&self, _: &str) -> Result<Option<Session>, StoreError> {
        stub()
    }
    async fn end_session(&self, _: &str) -> Result<(), StoreError> {
        stub()
    }
    async fn create_token(&self, _: &ApiToken) -> Result<(), StoreError> {
        stub()
    }
    async fn token(&self, _: &str) -> Result<Option<ApiToken>, StoreError> {
        stub()
    }
    async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        stub()
    }
    async fn revoke_token(&self, _: &str, _: DateTime<Utc>) -> Result<(), StoreError> {
        stub()
    }
    async fn create_invitation(&self, _: &Invitation) -> Result<(), StoreError> {
        stub()
    }
    async fn invitation(&self, _: &str) -> Result<Option<Invitation>, StoreError> {
        stub()
    }
    async fn accept_invitation(
        &self,
        _: &str,
        _: &Account,
        _: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        stub()
    }
    async fn propose(&self, _: &Asset, _: &str, _: DateTime<Utc>) -> Result<u64, StoreError> {
        stub()
    }
    async fn proposal(&self, _: u64) -> Result<Option<Proposal>, StoreError> {
        stub()
    }
    async fn proposals(&self, _: Option<&AssetId>, _: bool) -> Result<Vec<Proposal>, StoreError> {
        stub()
    }
    async fn reject_proposal(
        &self,
        _: u64,
        _: Option<&str>,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        stub()
    }
}
