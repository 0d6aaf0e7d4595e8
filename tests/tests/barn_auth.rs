//! The phone's token against a real platform: `sync` refreshes it before it expires (and the
//! platform retires the old one); an expired or revoked token logs the phone out (the token
//! leaves the keychain) but the stored barns stay readable and "last updated" stays honest;
//! a login lockout reaches the phone as a typed wait.
//! Expiry is made at the store level (tokens issued with a past or near expiry), not waited for.
#![allow(clippy::unwrap_used)]

use yannong_core::Timestamp;
use yannong_core::barn::api::UserId;
use yannong_core::barn::client::PlatformClient;
use yannong_core::barn::{BarnError, SecretStore, local};
use yannong_core::cancel::Cancel;
use yannong_core::store::StoreError;
use yannong_e2e::{PASSWORD, Phone, TestPlatform, reading};
use yannong_server::auth::{TOKEN_LIFETIME_HOURS, new_token, token_hash};

fn ingest_hour(p: &TestPlatform, batch: &str, start: Timestamp) {
    let rs = (0..60)
        .map(|i| reading(Timestamp(start.0 + i * 60_000), 38.0))
        .collect();
    p.ingest(&p.barns[0], batch, rs);
}

/// The phone's keychain entry: (key, token).
fn token(phone: &Phone) -> Option<(String, String)> {
    phone.secrets.entries().into_iter().next()
}

/// Swaps the phone's token for one the platform issued to `user` until `expires_at`, and makes
/// the phone believe it expires at `known_expiry`. Returns the planted token.
fn plant_token(
    p: &TestPlatform,
    phone: &Phone,
    user: UserId,
    expires_at: Timestamp,
    known_expiry: Timestamp,
) -> String {
    let (key, _) = token(phone).unwrap();
    let (planted, hash) = new_token().unwrap();
    p.platform
        .store
        .insert_token(&hash, user, expires_at)
        .unwrap();
    phone.secrets.set(&key, &planted).unwrap();
    phone
        .store
        .write(|tx| {
            tx.execute("UPDATE barn_sync SET expires_at = ?1", [known_expiry.0])
                .map_err(StoreError::from)
        })
        .unwrap();
    planted
}

/// Whether the platform takes `token` (over HTTP, as a phone would present it).
async fn platform_accepts(p: &TestPlatform, token: &str) -> bool {
    let client = PlatformClient::new(&p.client_config()).unwrap();
    match client.changes(token, "", 1).await {
        Ok(_) => true,
        Err(BarnError::Unauthorized(_)) => false,
        Err(e) => panic!("unexpected {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_refreshes_a_token_close_to_expiry_and_the_old_one_dies() {
    let p = TestPlatform::start().await;
    let start = Timestamp::now().add_hours(-3.0);
    ingest_hour(&p, "a", start);
    let phone = p.phone();
    phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
    let first = token(&phone).unwrap();
    phone.barns.sync(&Cancel::default()).await.unwrap();
    assert_eq!(token(&phone).unwrap(), first, "a young token is kept");

    // Two days left: inside the phone's refresh margin (a week).
    let near = Timestamp::now().add_hours(48.0);
    let old = plant_token(&p, &phone, p.farmer.id, near, near);
    ingest_hour(&p, "b", start.add_hours(1.0));
    let report = phone.barns.sync(&Cancel::default()).await.unwrap();
    assert_eq!(report.readings, 60, "the sync went on with the fresh token");

    let (_, fresh) = token(&phone).unwrap();
    assert!(
        fresh != old && fresh != first.1,
        "a new token is in the keychain"
    );
    let session = phone.barns.session().unwrap().unwrap();
    assert!(session.expires_at > Timestamp::now().add_hours(TOKEN_LIFETIME_HOURS - 1.0));
    assert!(
        !platform_accepts(&p, &old).await,
        "the platform revokes on refresh"
    );
    assert!(platform_accepts(&p, &fresh).await);
}

/// How the platform stops taking the phone's token.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// Logged out elsewhere, or by an administrator.
    Revoked,
    /// Expired, and the phone knows: its refresh is refused.
    ExpiredKnown,
    /// Expired while the phone thought it had weeks left (its clock was wrong): the changes
    /// feed refuses it.
    ExpiredUnknown,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_logs_the_phone_out_and_keeps_its_barns() {
    let p = TestPlatform::start().await;
    ingest_hour(&p, "a", Timestamp::now().add_hours(-2.0));
    for refusal in [
        Refusal::Revoked,
        Refusal::ExpiredKnown,
        Refusal::ExpiredUnknown,
    ] {
        let phone = p.phone();
        phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
        phone.barns.sync(&Cancel::default()).await.unwrap();
        let synced_at = phone.barns.session().unwrap().unwrap().synced_at;
        let (_, t) = token(&phone).unwrap();
        let past = Timestamp::now().add_hours(-1.0);
        match refusal {
            Refusal::Revoked => p.platform.store.revoke_token(&token_hash(&t)).unwrap(),
            Refusal::ExpiredKnown => drop(plant_token(&p, &phone, p.farmer.id, past, past)),
            Refusal::ExpiredUnknown => {
                let weeks = Timestamp::now().add_hours(24.0 * 20.0);
                drop(plant_token(&p, &phone, p.farmer.id, past, weeks));
            }
        }

        match phone.barns.sync(&Cancel::default()).await {
            Err(BarnError::Unauthorized(_)) => {}
            other => panic!("{refusal:?}: expected Unauthorized, got {other:?}"),
        }
        assert_eq!(
            token(&phone),
            None,
            "{refusal:?}: the dead token is forgotten"
        );
        assert_eq!(
            phone.store.read(local::barns).unwrap().len(),
            2,
            "{refusal:?}"
        );
        let rs = phone
            .store
            .read(|c| local::readings(c, p.barns[0].id, Timestamp(0), Timestamp::now()))
            .unwrap();
        assert_eq!(rs.len(), 60, "{refusal:?}: readings stay readable");
        let session = phone.barns.session().unwrap().unwrap();
        assert_eq!(session.synced_at, synced_at, "{refusal:?}: last updated");
        assert!(matches!(
            phone.barns.sync(&Cancel::default()).await,
            Err(BarnError::NotLoggedIn)
        ));

        // Logging in again as the same farmer picks the copy up where it was.
        phone.barns.login(&p.farmer.phone, PASSWORD).await.unwrap();
        let report = phone.barns.sync(&Cancel::default()).await.unwrap();
        assert_eq!(report.readings, 0, "{refusal:?}: nothing fetched twice");
        assert_eq!(phone.store.read(local::barns).unwrap().len(), 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_passwords_get_a_typed_wait() {
    let p = TestPlatform::start().await;
    let phone = p.phone();
    let number = &p.farmer.phone;
    for _ in 0..5 {
        assert!(matches!(
            phone.barns.login(number, "guess").await,
            Err(BarnError::Unauthorized(_))
        ));
    }
    for password in ["guess", PASSWORD] {
        match phone.barns.login(number, password).await {
            Err(BarnError::RateLimited { retry_after_s }) => {
                assert!((1..=15 * 60).contains(&retry_after_s), "{retry_after_s}");
            }
            other => panic!("expected RateLimited, got {other:?}"),
        }
    }
    assert_eq!(token(&phone), None);
    p.platform
        .clock
        .advance(std::time::Duration::from_secs(15 * 60 + 1));
    phone.barns.login(number, PASSWORD).await.unwrap();
}
