//! Every error message, as `proxyctl` prints it.

use proxy_client::cli::error_report;
use proxy_client::config::Sources;
use proxy_client::ClientError;
use proxy_store::doc::ExecDoc;

use crate::support::{run_cli, Cli, FakeApi, GUEST_KEY};

const TID: &str = "(code tid0123456789)";

#[tokio::test]
async fn no_key_says_where_to_get_one_and_sends_nothing() {
    let api = FakeApi::start().await;
    let home = tempfile::tempdir().unwrap();
    let url = api.url();
    let (result, out) =
        run_cli(&["--apihost", &url, "action", "list"], &Sources::default().with_home(home.path())).await;
    let error = result.unwrap_err();
    assert!(matches!(error, ClientError::NoAuth { .. }));
    assert_eq!(
        error.to_string(),
        format!("no key for {url}: run `proxyctl serve` and pass the guest key it printed with --auth, or set AUTH in ~/.wskprops")
    );
    assert_eq!(out, "");
    assert!(api.take_requests().is_empty());
}

#[tokio::test]
async fn a_key_without_a_colon_is_refused_before_sending() {
    let sources = Sources::default().with_env("PROXYCTL_AUTH", "justakey");
    let (result, _) = run_cli(&["action", "list"], &sources).await;
    assert_eq!(
        result.unwrap_err().to_string(),
        "the key from $PROXYCTL_AUTH is not of the form `uuid:key` (the form `proxyctl serve` prints)"
    );
}

#[tokio::test]
async fn connection_refused_asks_whether_the_server_runs() {
    // A port that was just free: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let (result, _) =
        run_cli(&["--apihost", &url, "--auth", GUEST_KEY, "action", "list"], &Sources::default()).await;
    let error = result.unwrap_err();
    let ClientError::Unreachable { source, .. } = &error else { panic!("{error:?}") };
    assert_eq!(source.kind(), std::io::ErrorKind::ConnectionRefused);
    assert_eq!(error.to_string(), format!("cannot connect to {url}: is `proxyctl serve` running at {url}?"));
    assert!(
        error_report(&error).starts_with(&format!("{error}: ")),
        "the cause follows: {}",
        error_report(&error)
    );
}

#[tokio::test]
async fn https_is_refused_with_the_reason() {
    let (result, _) = run_cli(
        &["--apihost", "https://example:443", "--auth", GUEST_KEY, "action", "list"],
        &Sources::default(),
    )
    .await;
    assert_eq!(
        result.unwrap_err().to_string(),
        "the API host `https://example:443` from --apihost is not usable: this client speaks plain HTTP only, to a local `proxyctl serve`: use http://"
    );
}

#[tokio::test]
async fn a_refused_key_shows_the_servers_message_and_what_to_do() {
    let api = FakeApi::start().await;
    let url = api.url();
    let (result, out) =
        run_cli(&["--apihost", &url, "--auth", "wrong:key", "action", "get", "hello"], &Sources::default())
            .await;
    let error = result.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "GET /api/v1/namespaces/_/actions/hello: the server answered 401: The supplied authentication is invalid {TID}; \
             the key was refused: pass the key `proxyctl serve` printed with --auth, or fix AUTH in ~/.wskprops"
        )
    );
    let ClientError::Api { code, .. } = error else { panic!() };
    assert_eq!(code.as_deref(), Some("tid0123456789"));
    assert_eq!(out, "");
}

#[tokio::test]
async fn another_namespace_is_forbidden() {
    let api = FakeApi::start().await;
    let (result, _) = api.run(&["action", "get", "/other/hello"]).await;
    assert_eq!(
        result.unwrap_err().to_string(),
        format!(
            "GET /api/v1/namespaces/other/actions/hello: the server answered 403: The supplied authentication is not \
             authorized to access 'other'. {TID}; the key may not use that namespace: use `_`, your own"
        )
    );
}

#[tokio::test]
async fn a_missing_action_or_activation_is_not_found() {
    let api = FakeApi::start().await;
    let hint = "check the name: `proxyctl action list`, `proxyctl activation list`";
    for (args, request) in [
        (&["action", "get", "nope"][..], "GET /api/v1/namespaces/_/actions/nope"),
        (&["action", "delete", "nope"][..], "DELETE /api/v1/namespaces/_/actions/nope"),
        (&["invoke", "nope"][..], "POST /api/v1/namespaces/_/actions/nope"),
        (&["activation", "logs", "0123"][..], "GET /api/v1/namespaces/_/activations/0123/logs"),
    ] {
        let (result, _) = api.run(args).await;
        assert_eq!(
            result.unwrap_err().to_string(),
            format!(
                "{request}: the server answered 404: The requested resource does not exist. {TID}; {hint}"
            )
        );
    }
}

#[tokio::test]
async fn a_duplicate_create_is_a_conflict() {
    let api = FakeApi::start().await;
    api.add_action("hello", ExecDoc::code("native", "x"));
    let (result, _) = api.run(&["action", "create", "hello", "--docker", "img"]).await;
    assert_eq!(
        result.unwrap_err().to_string(),
        format!(
            "PUT /api/v1/namespaces/_/actions/hello: the server answered 409: resource already exists {TID}; \
             it exists already: use `proxyctl action update` to replace it"
        )
    );
}

#[tokio::test]
async fn last_with_no_activation_says_to_invoke_first() {
    let api = FakeApi::start().await;
    let (result, _) = api.run(&["activation", "result", "--last"]).await;
    assert_eq!(
        result.unwrap_err().to_string(),
        "there is no activation yet: invoke an action first (`proxyctl invoke NAME`)"
    );
}

#[tokio::test]
async fn a_missing_action_file_names_it_with_the_cause() {
    let api = FakeApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("hello.sh");
    let (result, _) = api.run(&["action", "create", "hello", missing.to_str().unwrap()]).await;
    let error = result.unwrap_err();
    assert_eq!(error.to_string(), format!("cannot read the action file {}", missing.display()));
    assert!(error_report(&error).contains("No such file or directory"), "{}", error_report(&error));
    assert!(api.take_requests().is_empty());
}

#[test]
fn usage_mistakes_are_clap_errors() {
    use clap::Parser as _;
    for args in [
        &["proxyctl", "activation", "get"][..],
        &["proxyctl", "activation", "get", "id", "--last"],
        &["proxyctl", "action", "create", "hello"],
        &["proxyctl", "action", "create", "hello", "f", "--kind", "k", "--docker", "i"],
        &["proxyctl", "invoke", "hello", "-p", "only-a-key"],
    ] {
        assert!(Cli::try_parse_from(args).is_err(), "{args:?} should not parse");
    }
    assert!(Cli::try_parse_from(["proxyctl", "action", "update", "hello", "-m", "1", "--json", "-u", "a:b"])
        .is_ok());
}
