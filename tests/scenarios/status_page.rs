//! The status page at `/` in a real browser: Debian's headless Chromium loads the page the
//! real exporter serves on the real stack, while one outbox pipeline is healthy and then while
//! its task is really FAILED (the runbook's scenario 1: the publication dropped, the task
//! restarted). The test asserts what a person sees, read from the rendered page through the
//! DevTools protocol (over `--remote-debugging-pipe`, so no WebSocket client is needed): each
//! part's box and its colour, the finding's text and its runbook link, and that nothing is
//! wider than the window. It keeps a screenshot of each state, printing where.
//!
//! The pipeline's names start with `e2e5-` and the process id, and its EventRouter publishes to
//! a topic of its own; the connector and its slot are removed whether the test passes or not.

use crate::common;
use std::io::{BufRead, BufReader, Write};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use futures::FutureExt;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::{Offset, TopicPartitionList};
use reqwest::Method;
use serde_json::{Value, json};

use common::kafka::bootstrap;
use common::{Connect, Exporter, env_or, exporter_dsn, outbox_connector, psql_admin};

const CLUSTER: &str = "e2e5";
/// A new connector runs ≈ 11 s after its POST on the test broker (two group rebalances).
const PATIENCE: Duration = Duration::from_secs(120);
/// The exporter reads the stack's DSN, password included, from this variable.
const DSN_VARIABLE: &str = "E2E5_STATUS_PAGE_DSN";
const WIDTH: u32 = 1280;

/// Every name on the shared stack this test creates, unique to this run.
type Names = common::PipelineNames;

impl Names {
    fn topic(&self) -> String {
        format!("{}.outbox.event.order", self.connector)
    }

    /// A consumer group of this test that has read nothing of the topic yet.
    fn group(&self) -> String {
        format!("{}-reader", self.connector)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the real stack and chromium-headless-shell (scripts/test)"]
async fn the_status_page_draws_a_healthy_pipeline_and_marks_a_failed_task_critical() {
    let _room = common::room::enter(module_path!());
    let names = Names::named("e2e5", "page");
    let connect = Connect::new();
    psql_admin(&format!("CREATE PUBLICATION {} FOR TABLE public.outbox", names.publication));
    let outcome = AssertUnwindSafe(scenario(&names, &connect)).catch_unwind().await;
    connect.remove(&names.connector, &names.slot).await;
    psql_admin(&format!("DROP PUBLICATION IF EXISTS {}", names.publication));
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn scenario(names: &Names, connect: &Connect) {
    let mut config = outbox_connector(&names.connector, &names.slot, &names.publication);
    let replacement = format!("{}.outbox.event.${{routedByValue}}", names.connector);
    config["config"]["transforms.outbox.route.topic.replacement"] = Value::String(replacement);
    connect.create(&config).await;
    psql_admin(&format!(
        "INSERT INTO public.outbox (id, aggregatetype, aggregateid, type, payload) \
         VALUES (gen_random_uuid(), 'order', '{}', 'OrderCreated', '{{\"total\": 42}}')",
        names.connector
    ));

    let dir = tempfile::tempdir().unwrap();
    let config_file = dir.path().join("exporter.yml");
    let yaml = format!(
        "sources:\n  postgres:\n    - name: {CLUSTER}\n      dsn: ${{{DSN_VARIABLE}}}\n      outbox:\n        - table: public.outbox\n          timestamp_column: created_at\n  kafka:\n    - name: {CLUSTER}\n      bootstrap: {}\n      topics: ['{}']\n      consumer_groups: ['{}']\n",
        bootstrap(),
        names.topic(),
        names.group()
    );
    std::fs::write(&config_file, yaml).unwrap();
    let exporter = Exporter::start_with_env(
        &[
            "--config.file",
            config_file.to_str().unwrap(),
            "--connect.url",
            &format!("{CLUSTER}={}", connect.url),
            "--jolokia.url",
            &format!("{CLUSTER}=http://127.0.0.1:{}/jolokia", env_or("JOLOKIA_PORT", "8778")),
            "--poll.interval",
            "1s",
        ],
        &[(DSN_VARIABLE, &exporter_dsn())],
    );
    let artefacts = artefacts();

    // Healthy: the connector streams, its slot is active, its topic has the record.
    let healthy = |stage: &str, health: &str| node_marker(stage, health);
    wait_for_page(&exporter, "the pipeline healthy", |page| {
        ["slot", "connector", "topics"].iter().all(|stage| page_has_node(page, &names.connector, &healthy(stage, "ok")))
    })
    .await;
    commit_start(&names.topic(), &names.group());
    wait_for_page(&exporter, "the group's lag", |page| page_has_node(page, &names.connector, &healthy("groups", "ok")))
        .await;
    let mut browser = Browser::start();
    let seen = browser.look(&format!("{}/?lang=en", exporter.base), &names.connector, &artefacts.join("healthy.png"));
    assert_eq!(seen["stages"], json!(["outbox", "slot", "connector", "topics", "groups"]), "{seen:#}");
    for stage in ["slot", "connector", "topics", "groups"] {
        assert_eq!(seen["health"][stage], "ok", "{stage} in {seen:#}");
    }
    assert_eq!(seen["colour"]["connector"], "rgb(46, 133, 64)", "the healthy connector's box is green: {seen:#}");
    assert!(seen["text"].as_str().unwrap().contains(&names.topic()), "{seen:#}");
    assert_eq!(seen["overflow"], json!([]), "nothing wider than the window: {seen:#}");
    assert_eq!(seen["refresh"], "5", "{seen:#}");
    let korean =
        browser.look(&format!("{}/?lang=ko", exporter.base), &names.connector, &artefacts.join("healthy-ko.png"));
    assert!(korean["text"].as_str().unwrap().contains("복제 슬롯"), "{korean:#}");
    assert_eq!(korean["overflow"], json!([]), "{korean:#}");

    // The runbook's scenario 1: the publication dropped under the connector, the task restarted.
    psql_admin(&format!("DROP PUBLICATION {}", names.publication));
    let status = connect.call(Method::POST, &format!("{}/restart?includeTasks=true", names.connector)).await;
    assert!(matches!(status, 202 | 204), "restart answered {status}");
    // The connector box turns critical as soon as Debezium stops streaming (the task restarts);
    // what this test is after is the FAILED task, which Connect reports a moment later.
    wait_for_page(&exporter, "the task FAILED and the connector critical", |page| {
        page_has_node(page, &names.connector, &node_marker("connector", "critical"))
            && page_has_node(page, &names.connector, "task 0: FAILED")
    })
    .await;
    let seen =
        browser.look(&format!("{}/?lang=en", exporter.base), &names.connector, &artefacts.join("task-failed.png"));
    assert_eq!(seen["health"]["connector"], "critical", "{seen:#}");
    assert_eq!(seen["colour"]["connector"], "rgb(198, 40, 40)", "the failing box is red: {seen:#}");
    assert_eq!(seen["pipeline"], "critical", "{seen:#}");
    let text = seen["text"].as_str().unwrap();
    let subject = format!("connect {CLUSTER} / connector {} / task 0", names.connector);
    assert!(text.contains(&subject), "the finding names the task: {text}");
    assert!(text.contains("the task is FAILED"), "{text}");
    assert!(text.contains("Publication autocreation is disabled"), "the trace's root cause: {text}");
    assert!(text.contains("task 0: FAILED"), "the box shows the task: {text}");
    let links = seen["runbook"].as_array().unwrap();
    assert!(
        links.iter().any(|href| href.as_str().unwrap().ends_with("docs/runbook.md#cause-publication_missing")),
        "a runbook link to the cause's section: {links:?}"
    );
    assert_eq!(seen["overflow"], json!([]), "a long trace wraps: {seen:#}");
    eprintln!("status page screenshots: {}", artefacts.display());
}

/// Commits offset 0 of the topic's partition 0 for `group`, as a consumer that has read nothing
/// yet would: the group is then watched with a lag.
fn commit_start(topic: &str, group: &str) {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut offsets = TopicPartitionList::new();
    offsets.add_partition_offset(topic, 0, Offset::Offset(0)).unwrap();
    consumer.commit(&offsets, CommitMode::Sync).unwrap_or_else(|error| panic!("committing {group}: {error}"));
}

/// Where the screenshots are kept: `$STACK_RUN/status-page` (the stack's run directory).
fn artefacts() -> PathBuf {
    let dir = PathBuf::from(env_or("STACK_RUN", "target/stack")).join("status-page");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn node_marker(stage: &str, health: &str) -> String {
    format!("data-stage=\"{stage}\" data-health=\"{health}\"")
}

/// Whether the section of `connector`'s pipeline has the node `marker`.
fn page_has_node(page: &str, connector: &str, marker: &str) -> bool {
    let start = format!("<section class=\"pipeline\" data-connector=\"{connector}\"");
    page.split_once(&start)
        .and_then(|(_, rest)| rest.split_once("</section>"))
        .is_some_and(|(section, _)| section.contains(marker))
}

async fn wait_for_page(exporter: &Exporter, what: &str, check: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, page) = exporter.get("/?lang=en").await;
        assert_eq!(status, 200);
        if check(&page) {
            return;
        }
        assert!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}; the page:\n{page}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What the page shows of one pipeline, read in the browser after layout.
const LOOK: &str = r#"(() => {
  const section = [...document.querySelectorAll('section.pipeline')].find(s => s.dataset.connector === CONNECTOR);
  const nodes = section ? [...section.querySelectorAll('.node')] : [];
  const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1);
  return JSON.stringify({
    pipeline: section ? section.dataset.health : null,
    stages: nodes.map(n => n.dataset.stage),
    health: Object.fromEntries(nodes.map(n => [n.dataset.stage, n.dataset.health])),
    colour: Object.fromEntries(nodes.map(n => [n.dataset.stage, getComputedStyle(n).borderTopColor])),
    overflow: (document.documentElement.scrollWidth > window.innerWidth ? ['document'] : [])
      .concat(wide.slice(0, 5).map(e => e.tagName + '.' + e.className)),
    text: document.body.innerText,
    runbook: [...document.querySelectorAll('a.runbook')].map(a => a.href),
    refresh: (document.querySelector('meta[http-equiv=refresh]') || {}).content,
    height: document.documentElement.scrollHeight,
  });
})()"#;

/// Debian's `chromium-headless-shell`, driven through the DevTools protocol on a pipe: the
/// browser reads requests on its fd 3 and writes answers on fd 4, each ended by a NUL.
struct Browser {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Self {
        let profile = tempfile::tempdir().unwrap();
        let script = format!(
            "exec chromium-headless-shell --no-sandbox --disable-gpu --remote-debugging-pipe \
             --window-size={WIDTH},900 --user-data-dir='{}' 3<&0 4>&1 </dev/null >/dev/null",
            profile.path().display()
        );
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium-headless-shell runs (scripts/stack-install installs it)");
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Browser { child, input, output, next_id: 0, _profile: profile }
    }

    /// Sends one command and returns its result, skipping events.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.input.write_all(&bytes).expect("the browser reads its pipe");
        loop {
            let mut answer = Vec::new();
            let read = self.output.read_until(0, &mut answer).expect("the browser writes its pipe");
            assert!(read > 0, "the browser closed its pipe");
            answer.pop();
            let answer: Value = serde_json::from_slice(&answer).unwrap();
            if answer["id"] == id {
                assert!(answer.get("error").is_none(), "{method}: {answer}");
                return answer["result"].clone();
            }
        }
    }

    fn evaluate(&mut self, session: &str, expression: &str) -> Value {
        let result =
            self.call(Some(session), "Runtime.evaluate", json!({ "expression": expression, "returnByValue": true }));
        result["result"]["value"].clone()
    }

    /// Opens `url`, waits for it to load, reads what [`LOOK`] sees of `connector`'s pipeline
    /// and saves a full-page screenshot to `png`. The page refreshes itself: a reading that a
    /// reload interrupted (another document by the end) is taken again.
    fn look(&mut self, url: &str, connector: &str, png: &std::path::Path) -> Value {
        let target = self.call(None, "Target.createTarget", json!({ "url": url }));
        let target = target["targetId"].as_str().unwrap().to_owned();
        let attached = self.call(None, "Target.attachToTarget", json!({ "targetId": target, "flatten": true }));
        let session = attached["sessionId"].as_str().unwrap().to_owned();
        let look = LOOK.replace("CONNECTOR", &serde_json::to_string(connector).unwrap());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "{url} did not load and hold still in the browser");
            if self.evaluate(&session, "document.readyState") != "complete" {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            let origin = self.evaluate(&session, "performance.timeOrigin");
            let seen: Value = match self.evaluate(&session, &look).as_str() {
                Some(text) => serde_json::from_str(text).unwrap(),
                None => continue,
            };
            let height = seen["height"].as_u64().unwrap_or(900).max(300);
            let clip = json!({ "x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1 });
            let shot = self.call(
                Some(&session),
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true, "clip": clip }),
            );
            if self.evaluate(&session, "performance.timeOrigin") != origin {
                continue;
            }
            let png_bytes = base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().unwrap()).unwrap();
            std::fs::write(png, png_bytes).unwrap();
            eprintln!("screenshot: {}", png.display());
            self.call(None, "Target.closeTarget", json!({ "targetId": target }));
            return seen;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
