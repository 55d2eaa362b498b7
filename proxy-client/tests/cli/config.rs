//! Where the host and the key come from: flags > environment > properties file >
//! default, each source in a temporary HOME, never the process's own environment.

use proxy_client::cli::Exit;
use proxy_client::config::{Config, Origin, Sources};
use proxy_store::doc::ExecDoc;

use crate::support::{run_cli, FakeApi, GUEST_KEY};

fn home_with_props(text: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".wskprops"), text).unwrap();
    home
}

#[test]
fn flags_win_over_env_and_file() {
    let home = home_with_props("APIHOST=http://file:1\nAUTH=file:key\n");
    let sources = Sources::default()
        .with_home(home.path())
        .with_env("PROXYCTL_APIHOST", "http://env:1")
        .with_env("PROXYCTL_AUTH", "env:key");
    let config = Config::resolve(Some("http://flag:1"), Some("flag:key"), &sources).unwrap();
    assert_eq!((config.apihost.authority(), config.apihost_origin), ("flag:1", Origin::Flag("--apihost")));
    let auth = config.auth.unwrap();
    assert_eq!((auth.value.as_str(), auth.origin), ("flag:key", Origin::Flag("--auth")));
}

#[test]
fn env_wins_over_the_file_and_proxyctls_over_wsks() {
    let home = home_with_props("APIHOST=http://file:1\nAUTH=file:key\n");
    let sources = Sources::default()
        .with_home(home.path())
        .with_env("WHISK_APIHOST", "http://whisk:1")
        .with_env("PROXYCTL_AUTH", "proxyctl:key")
        .with_env("WHISK_AUTH", "whisk:key");
    let config = Config::resolve(None, None, &sources).unwrap();
    assert_eq!(
        (config.apihost.authority(), config.apihost_origin),
        ("whisk:1", Origin::Env("WHISK_APIHOST"))
    );
    assert_eq!(config.auth.unwrap().origin, Origin::Env("PROXYCTL_AUTH"));
}

#[test]
fn the_file_wins_over_the_default_and_empty_values_are_unset() {
    let home = home_with_props("APIHOST=127.0.0.1:4000\nAUTH=file:key\n");
    let sources = Sources::default().with_home(home.path()).with_env("PROXYCTL_APIHOST", "");
    let config = Config::resolve(Some(""), None, &sources).unwrap();
    assert_eq!(config.apihost.url(), "http://127.0.0.1:4000");
    assert_eq!(config.apihost_origin, Origin::File(home.path().join(".wskprops")));
    assert_eq!(config.auth.unwrap().value, "file:key");
}

#[test]
fn wsk_config_file_replaces_wskprops() {
    let home = home_with_props("AUTH=home:key\n");
    let other = tempfile::tempdir().unwrap();
    let file = other.path().join("props");
    std::fs::write(&file, "AUTH=other:key\n").unwrap();
    let sources =
        Sources::default().with_home(home.path()).with_env("WSK_CONFIG_FILE", file.to_str().unwrap());
    let auth = Config::resolve(None, None, &sources).unwrap().auth.unwrap();
    assert_eq!((auth.value.as_str(), auth.origin), ("other:key", Origin::File(file)));
}

#[test]
fn nothing_set_is_the_default_host_with_no_key() {
    let home = tempfile::tempdir().unwrap();
    let config = Config::resolve(None, None, &Sources::default().with_home(home.path())).unwrap();
    assert_eq!(
        (config.apihost.url(), config.apihost_origin),
        ("http://127.0.0.1:3233".to_string(), Origin::Default)
    );
    assert!(config.auth.is_none());
}

#[test]
fn a_missing_wsk_config_file_is_an_error_a_missing_wskprops_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let sources = Sources::default().with_env("WSK_CONFIG_FILE", missing.to_str().unwrap());
    let error = Config::resolve(None, None, &sources).unwrap_err();
    assert_eq!(error.to_string(), format!("cannot read the properties file {}", missing.display()));
    assert!(Config::resolve(None, None, &Sources::default().with_home(dir.path())).is_ok());
}

#[test]
fn the_key_debug_print_hides_the_key() {
    let config = Config::resolve(None, Some("uuid:secret"), &Sources::default()).unwrap();
    assert!(!format!("{config:?}").contains("secret"));
}

#[tokio::test]
async fn a_command_runs_on_the_wskprops_of_a_temporary_home() {
    let api = FakeApi::start().await;
    api.add_action("hello", ExecDoc::code("native", "x"));
    let home = home_with_props(&format!("APIHOST={}\nAUTH={GUEST_KEY}\nNAMESPACE=guest\n", api.url()));

    let (result, out) =
        run_cli(&["action", "get", "hello"], &Sources::default().with_home(home.path())).await;

    assert_eq!(result.unwrap(), Exit::Success);
    assert!(out.starts_with("ok: got action hello\n"), "{out}");
}

#[tokio::test]
async fn a_command_runs_on_the_environment_over_a_wrong_file() {
    let api = FakeApi::start().await;
    api.add_action("hello", ExecDoc::code("native", "x"));
    let home = home_with_props("APIHOST=http://127.0.0.1:1\nAUTH=wrong:key\n");
    let sources = Sources::default()
        .with_home(home.path())
        .with_env("WHISK_APIHOST", &api.url())
        .with_env("WHISK_AUTH", GUEST_KEY);

    let (result, _) = run_cli(&["action", "get", "hello"], &sources).await;
    assert_eq!(result.unwrap(), Exit::Success);

    // And the flags over both: a wrong key given on the command line is refused.
    let (result, _) = run_cli(&["action", "get", "hello", "--auth", "wrong:key"], &sources).await;
    assert_eq!(result.unwrap_err().status(), Some(401));
}
