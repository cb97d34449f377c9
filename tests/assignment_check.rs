//! `assignment::check` on the shipped assignments and on malformed copies of `churn`, with
//! the exact place of every problem; plus `content_hash` and `report_sections`.

use std::fs;
use std::path::{Path, PathBuf};

use takehome::assignment::{
    Assignment, LimitsOverlay, Problem, check, content_files, content_hash, load_manifest,
    report_sections,
};
use takehome::sandbox::{Bytes, Limits};
use takehome::score::Metric;

fn assignments() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assignments")
}

fn show(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  {p}\n")).collect()
}

fn check_clean(dir: &Path) -> Assignment {
    check(dir)
        .unwrap_or_else(|problems| panic!("{} has problems:\n{}", dir.display(), show(&problems)))
}

#[test]
fn shipped_assignments_check_clean() {
    let churn = check_clean(&assignments().join("churn"));
    assert_eq!(churn.id, "churn");
    assert_eq!(churn.scoring.metric, Metric::RocAuc);
    assert_eq!(churn.scoring.k, None);
    assert_eq!(churn.rubric.len(), 5);
    assert_eq!(churn.runner.limits.fuel, Some(30_000_000_000));
    assert_eq!(churn.runner.limits.out_files, None);
    assert_eq!(churn.time_allowed.as_secs(), 7 * 24 * 3600);

    let sensors = check_clean(&assignments().join("sensor-anomalies"));
    assert_eq!(sensors.scoring.metric, Metric::PrecisionAtK);
    assert_eq!(sensors.scoring.k, Some(30));
    assert_eq!(sensors.runner.limits.out_files, Some(200));
    assert_eq!(sensors.runner.limits.out_bytes, Some(Bytes(16 << 20)));
}

#[test]
fn serde_reads_the_shipped_files_like_check() {
    for id in ["churn", "sensor-anomalies"] {
        let dir = assignments().join(id);
        let text = fs::read_to_string(dir.join("assignment.toml")).unwrap();
        let via_serde: Assignment = toml::from_str(&text).unwrap();
        assert_eq!(via_serde, check_clean(&dir), "{id}");
        let json = serde_json::to_string(&via_serde).unwrap();
        assert_eq!(
            serde_json::from_str::<Assignment>(&json).unwrap(),
            via_serde
        );
    }
}

#[test]
fn limits_overlay_replaces_only_what_it_sets() {
    let base = Limits::default();
    let overlay = LimitsOverlay {
        memory: Some(Bytes(1 << 30)),
        out_files: Some(7),
        ..Default::default()
    };
    let limits = overlay.apply(&base);
    assert_eq!(limits.memory, Bytes(1 << 30));
    assert_eq!(limits.out_files, 7);
    assert_eq!(limits.wall, base.wall);
    assert_eq!(limits.compile, base.compile);
    assert_eq!(LimitsOverlay::default().apply(&base), base);
}

#[test]
fn example_submissions_parse_and_claim_the_metric() {
    for (id, metric) in [
        ("churn", Metric::RocAuc),
        ("sensor-anomalies", Metric::PrecisionAtK),
    ] {
        for name in ["strong", "overclaiming", "misbehaving"] {
            let dir = assignments().join(id).join("examples").join(name);
            let submission = load_manifest(&dir)
                .unwrap_or_else(|| panic!("{} has no submission.toml", dir.display()))
                .unwrap_or_else(|problems| panic!("{}:\n{}", dir.display(), show(&problems)));
            assert_eq!(submission.runner, takehome::runner::RunnerKind::Python);
            assert!(submission.claim(metric).is_some(), "{id}/{name}");
        }
    }
}

#[test]
fn example_reports_have_the_sections_the_readme_says() {
    let churn = check_clean(&assignments().join("churn"));
    let sections = &churn.deliverables.sections;
    let report = |name: &str| {
        fs::read_to_string(
            assignments()
                .join("churn/examples")
                .join(name)
                .join("REPORT.md"),
        )
        .unwrap()
    };
    assert!(
        report_sections(&report("strong"), sections)
            .iter()
            .all(|(_, found)| *found)
    );
    let overclaiming = report_sections(&report("overclaiming"), sections);
    let missing: Vec<&str> = overclaiming
        .iter()
        .filter(|(_, f)| !f)
        .map(|(s, _)| s.as_str())
        .collect();
    assert_eq!(missing, ["Limitations"]);
}

/// A valid `assignment.toml` for a copy of `churn`, short enough to count lines in.
const VALID: &str = r#"id = "churn"
title = "What drives churn?"
version = "1.0.0"
level = "mid"
time_allowed = "7d"

[runner]
name = "python"

[runner.limits]
wall = "120s"
memory = "2GiB"
fuel = 400_000_000_000

[deliverables]
report = "REPORT.md"
sections = ["Method", "Limitations"]
entry = "main.py"
outputs = ["out/predictions.csv"]

[scoring]
metric = "roc_auc"
output = "out/predictions.csv"
truth = "hidden/test_labels.csv"
id_column = "customer_id"
target_column = "churned"
prediction_column = "churn_probability"
tolerance = 0.02

[[rubric]]
id = "rigour"
title = "Rigour"
weight = 0.6
levels = ["poor", "fair", "good", "excellent"]

[[rubric]]
id = "honesty"
title = "Honesty"
weight = 0.4
levels = ["poor", "fair", "good", "excellent"]
"#;

/// A copy of `assignments/churn` without `examples/`, in a folder named `churn`.
struct Fixture {
    _temp: tempfile::TempDir,
    dir: PathBuf,
}

impl Fixture {
    fn new(toml: &str) -> Fixture {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("churn");
        copy_dir(&assignments().join("churn"), &dir);
        fs::write(dir.join("assignment.toml"), toml).unwrap();
        Fixture { _temp: temp, dir }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "examples" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(&name));
        } else {
            fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// `VALID` with each `(from, to)` replacement made once; `from` must occur.
fn edit(replacements: &[(&str, &str)]) -> String {
    let mut text = VALID.to_string();
    for (from, to) in replacements {
        assert!(text.contains(from), "`{from}` is not in the template");
        text = text.replacen(from, to, 1);
    }
    text
}

/// An expected problem: file relative to the assignment folder, line, column, a message fragment.
type Expected = (&'static str, Option<usize>, Option<usize>, &'static str);

const TOML: &str = "assignment.toml";

struct Case {
    name: &'static str,
    toml: String,
    /// Changes to the folder after the copy.
    setup: fn(&Path),
    expected: Vec<Expected>,
}

fn case(name: &'static str, replacements: &[(&str, &str)], expected: Vec<Expected>) -> Case {
    Case {
        name,
        toml: edit(replacements),
        setup: |_| {},
        expected,
    }
}

fn cases() -> Vec<Case> {
    let levels = r#"levels = ["poor", "fair", "good", "excellent"]"#;
    vec![
        case(
            "unknown top-level key",
            &[("version = ", "flavour = \"vanilla\"\nversion = ")],
            vec![(
                TOML,
                Some(3),
                Some(1),
                "unknown key `flavour` in the top level (expected one of: id, title",
            )],
        ),
        case(
            "weights sum to 0.95",
            &[("weight = 0.4", "weight = 0.35")],
            vec![(
                TOML,
                Some(30),
                Some(1),
                "rubric weights sum to 0.95, expected 1.0",
            )],
        ),
        case(
            "truth file missing",
            &[("hidden/test_labels.csv", "hidden/labels.csv")],
            vec![(
                TOML,
                Some(24),
                Some(9),
                "`scoring.truth` is `hidden/labels.csv`, which does not exist",
            )],
        ),
        case(
            "unknown metric",
            &[(r#"metric = "roc_auc""#, r#"metric = "auc""#)],
            vec![(
                TOML,
                Some(22),
                Some(10),
                "`scoring.metric`: `auc` is not a metric: use accuracy, macro_f1",
            )],
        ),
        case(
            "TOML syntax error",
            &[(
                r#"title = "What drives churn?""#,
                "title = What drives churn?",
            )],
            vec![(TOML, Some(2), Some(9), "TOML syntax: ")],
        ),
        case(
            "wrong type",
            &[(r#"time_allowed = "7d""#, "time_allowed = 7")],
            vec![(
                TOML,
                Some(5),
                Some(16),
                "`time_allowed` must be a string, found integer",
            )],
        ),
        case(
            "missing key in a table",
            &[("entry = \"main.py\"\n", "")],
            vec![(
                TOML,
                Some(15),
                Some(1),
                "missing required key `deliverables.entry` in [deliverables]",
            )],
        ),
        case(
            "missing top-level key",
            &[("title = \"What drives churn?\"\n", "")],
            vec![(
                TOML,
                Some(1),
                Some(1),
                "missing required key `title` in the top level",
            )],
        ),
        case(
            "missing table",
            &[(
                "[runner]\nname = \"python\"\n\n[runner.limits]\nwall = \"120s\"\nmemory = \"2GiB\"\nfuel = 400_000_000_000\n",
                "",
            )],
            vec![(TOML, Some(1), Some(1), "missing required table [runner]")],
        ),
        case(
            "id differs from the folder",
            &[(r#"id = "churn""#, r#"id = "churn-v2""#)],
            vec![(
                TOML,
                Some(1),
                Some(6),
                "`id` is `churn-v2` but the folder is named `churn`",
            )],
        ),
        case(
            "id with capitals",
            &[(r#"id = "churn""#, r#"id = "Churn""#)],
            vec![
                (
                    TOML,
                    Some(1),
                    Some(6),
                    "`id` is `Churn` but the folder is named `churn`",
                ),
                (
                    TOML,
                    Some(1),
                    Some(6),
                    "`id` is `Churn`: use only lowercase letters, digits and `-`",
                ),
            ],
        ),
        case(
            "bad durations and sizes",
            &[
                (r#"time_allowed = "7d""#, r#"time_allowed = "a week""#),
                (r#"wall = "120s""#, r#"wall = "0s""#),
                (r#"memory = "2GiB""#, r#"memory = "2 parsecs""#),
            ],
            vec![
                (
                    TOML,
                    Some(5),
                    Some(16),
                    "`time_allowed`: `a week` is not a duration",
                ),
                (
                    TOML,
                    Some(11),
                    Some(8),
                    "`runner.limits.wall`: `0s` must be greater than zero",
                ),
                (
                    TOML,
                    Some(12),
                    Some(10),
                    "`runner.limits.memory`: `2 parsecs` has an unknown unit `parsecs`",
                ),
            ],
        ),
        case(
            "unknown limit",
            &[(
                "fuel = 400_000_000_000\n",
                "fuel = 400_000_000_000\ncompile = \"60s\"\n",
            )],
            vec![(
                TOML,
                Some(14),
                Some(1),
                "unknown key `runner.limits.compile` in [runner.limits]",
            )],
        ),
        case(
            "k missing for precision_at_k",
            &[(r#"metric = "roc_auc""#, r#"metric = "precision_at_k""#)],
            vec![(
                TOML,
                Some(21),
                Some(1),
                "missing required key `scoring.k` in [scoring]: precision_at_k needs k",
            )],
        ),
        case(
            "k given for roc_auc",
            &[("tolerance = 0.02\n", "tolerance = 0.02\nk = 30\n")],
            vec![(
                TOML,
                Some(29),
                Some(1),
                "`scoring.k` is only allowed with precision_at_k, not roc_auc",
            )],
        ),
        case(
            "k larger than the truth file",
            &[
                (r#"metric = "roc_auc""#, r#"metric = "precision_at_k""#),
                ("tolerance = 0.02\n", "tolerance = 0.02\nk = 5000\n"),
            ],
            vec![(
                TOML,
                Some(29),
                Some(5),
                "`scoring.k`: k = 5000 is larger than the 800 scored rows of hidden/test_labels.csv",
            )],
        ),
        case(
            "negative tolerance",
            &[("tolerance = 0.02", "tolerance = -0.1")],
            vec![(
                TOML,
                Some(28),
                Some(13),
                "`scoring.tolerance` must be at least 0, found -0.1",
            )],
        ),
        case(
            "three levels",
            &[(levels, r#"levels = ["poor", "good", "excellent"]"#)],
            vec![(
                TOML,
                Some(34),
                Some(10),
                "`rubric[0].levels` must have exactly 4 levels (scores 1 to 4), found 3",
            )],
        ),
        case(
            "duplicate criterion id",
            &[(r#"id = "honesty""#, r#"id = "rigour""#)],
            vec![(
                TOML,
                Some(37),
                Some(6),
                "duplicate criterion id `rigour` (first at line 31)",
            )],
        ),
        case(
            "id column not in the truth header",
            &[(r#"id_column = "customer_id""#, r#"id_column = "customer""#)],
            vec![(
                TOML,
                Some(25),
                Some(13),
                "`scoring.id_column` is `customer`, which is not a column of hidden/test_labels.csv (columns: `customer_id`, `churned`)",
            )],
        ),
        case(
            "output not among the outputs",
            &[(
                r#"output = "out/predictions.csv""#,
                r#"output = "out/preds.csv""#,
            )],
            vec![(
                TOML,
                Some(23),
                Some(10),
                "`scoring.output` `out/preds.csv` is not among `deliverables.outputs` (`out/predictions.csv`)",
            )],
        ),
        case(
            "unknown runner",
            &[(r#"name = "python""#, r#"name = "java""#)],
            vec![(
                TOML,
                Some(8),
                Some(8),
                "`runner.name`: `java` is not a runner: use wasi, python, python-plain",
            )],
        ),
        case(
            "truth outside hidden/",
            &[("hidden/test_labels.csv", "data/train.csv")],
            vec![(
                TOML,
                Some(24),
                Some(9),
                "`scoring.truth` must be a file under hidden/, found `data/train.csv`",
            )],
        ),
        case(
            "paths leaving the folder",
            &[
                (r#"entry = "main.py""#, r#"entry = "../main.py""#),
                (r#"report = "REPORT.md""#, r#"report = "/tmp/R.md""#),
            ],
            vec![
                (
                    TOML,
                    Some(16),
                    Some(10),
                    "`deliverables.report` must be a relative path inside the folder",
                ),
                (
                    TOML,
                    Some(18),
                    Some(9),
                    "`deliverables.entry` must be a relative path inside the folder",
                ),
            ],
        ),
        case(
            "no entry point",
            &[(r#"entry = "main.py""#, "entry = []")],
            vec![(
                TOML,
                Some(18),
                Some(9),
                "`deliverables.entry` must name at least one file",
            )],
        ),
        case(
            "several problems at once",
            &[
                (r#"version = "1.0.0""#, r#"version = "1.0""#),
                (r#"level = "mid""#, r#"level = "senior""#),
                ("tolerance = 0.02\n", "tolerance = 0.02\nseed = 1\n"),
                ("weight = 0.6", r#"weight = "0.6""#),
                (levels, r#"levels = ["poor"]"#),
                (r#"id = "honesty""#, r#"id = "rigour""#),
            ],
            vec![
                (
                    TOML,
                    Some(3),
                    Some(11),
                    "`version`: `1.0` is not a version: expected MAJOR.MINOR.PATCH",
                ),
                (
                    TOML,
                    Some(4),
                    Some(9),
                    "`level`: `senior` is not a level: use \"junior\" or \"mid\"",
                ),
                (
                    TOML,
                    Some(29),
                    Some(1),
                    "unknown key `scoring.seed` in [scoring]",
                ),
                (
                    TOML,
                    Some(34),
                    Some(10),
                    "`rubric[0].weight` must be a number, found string",
                ),
                (
                    TOML,
                    Some(35),
                    Some(10),
                    "`rubric[0].levels` must have exactly 4 levels (scores 1 to 4), found 1",
                ),
                (
                    TOML,
                    Some(38),
                    Some(6),
                    "duplicate criterion id `rigour` (first at line 32)",
                ),
            ],
        ),
        Case {
            name: "missing brief, data and hidden",
            toml: VALID.to_string(),
            setup: |dir| {
                fs::remove_file(dir.join("brief.md")).unwrap();
                fs::remove_dir_all(dir.join("data")).unwrap();
                fs::remove_dir_all(dir.join("hidden")).unwrap();
            },
            expected: vec![
                (
                    TOML,
                    Some(24),
                    Some(9),
                    "`scoring.truth` is `hidden/test_labels.csv`, which does not exist",
                ),
                (
                    "brief.md",
                    None,
                    None,
                    "missing: the brief the candidate reads",
                ),
                ("data", None, None, "missing folder: the public data"),
                ("hidden", None, None, "missing folder: the held-out truth"),
            ],
        },
        Case {
            name: "target column not in the truth header",
            toml: VALID.to_string(),
            setup: |dir| {
                fs::write(
                    dir.join("hidden/test_labels.csv"),
                    "customer_id,label\nC1,1\n",
                )
                .unwrap()
            },
            expected: vec![(
                TOML,
                Some(26),
                Some(17),
                "`scoring.target_column` is `churned`, which is not a column of hidden/test_labels.csv (columns: `customer_id`, `label`)",
            )],
        },
        Case {
            name: "truth values wrong for the metric",
            toml: VALID.to_string(),
            setup: |dir| {
                fs::write(
                    dir.join("hidden/test_labels.csv"),
                    "customer_id,churned\nC1,1\nC2,yes\n",
                )
                .unwrap()
            },
            expected: vec![(
                "hidden/test_labels.csv",
                Some(3),
                None,
                "the truth file, line 3: `churned` is `yes`, expected 0 or 1",
            )],
        },
        Case {
            name: "syntax errors still let the layout be checked",
            toml: edit(&[
                (
                    r#"title = "What drives churn?""#,
                    "title = What drives churn?",
                ),
                ("tolerance = 0.02", "tolerance = 0,02"),
            ]),
            setup: |dir| fs::remove_file(dir.join("brief.md")).unwrap(),
            expected: vec![
                (TOML, Some(2), Some(9), "TOML syntax: "),
                (TOML, Some(28), Some(14), "TOML syntax: "),
                ("brief.md", None, None, "missing: the brief"),
            ],
        },
    ]
}

#[test]
fn the_template_checks_clean() {
    let fixture = Fixture::new(VALID);
    let assignment = check_clean(&fixture.dir);
    assert_eq!(assignment.rubric.len(), 2);
}

#[test]
fn several_entry_points_are_read_in_order_and_handed_to_candidates() {
    let both = r#"entry = ["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"]"#;
    let fixture = Fixture::new(&edit(&[(r#"entry = "main.py""#, both)]));
    let assignment = check_clean(&fixture.dir);
    assert_eq!(
        assignment.deliverables.entry,
        ["notebooks/01_eda.ipynb", "notebooks/02_model.ipynb"]
    );
    // The submission.toml a candidate is given names both, and reads back as a manifest.
    let template = takehome::issue::bundle::submission_template(&assignment);
    assert!(template.contains(both), "{template}");
    let manifest =
        takehome::assignment::parse_manifest(Path::new("submission.toml"), &template).unwrap();
    assert_eq!(manifest.entry, assignment.deliverables.entry);
    // A version stored before entries were lists (one string) still reads.
    let mut stored = serde_json::to_value(&assignment).unwrap();
    stored["deliverables"]["entry"] = serde_json::json!("main.py");
    let old: Assignment = serde_json::from_value(stored).unwrap();
    assert_eq!(old.deliverables.entry, ["main.py"]);
}

#[test]
fn malformed_assignments_report_every_problem_at_its_place() {
    let mut failures = String::new();
    for case in cases() {
        let fixture = Fixture::new(&case.toml);
        (case.setup)(&fixture.dir);
        let problems = match check(&fixture.dir) {
            Ok(_) => {
                failures.push_str(&format!("{}: checked clean\n", case.name));
                continue;
            }
            Err(problems) => problems,
        };
        let got: Vec<(PathBuf, Option<usize>, Option<usize>, &str)> = problems
            .iter()
            .map(|p| {
                (
                    p.file.strip_prefix(&fixture.dir).unwrap().to_path_buf(),
                    p.line,
                    p.column,
                    p.message.as_str(),
                )
            })
            .collect();
        let matches = got.len() == case.expected.len()
            && got.iter().zip(&case.expected).all(|(g, e)| {
                g.0 == Path::new(e.0) && g.1 == e.1 && g.2 == e.2 && g.3.contains(e.3)
            });
        if !matches {
            failures.push_str(&format!(
                "{}: expected {:#?}\ngot:\n{}\n",
                case.name,
                case.expected,
                show(&problems)
            ));
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn problems_display_as_file_line_column_message() {
    let fixture = Fixture::new(&edit(&[("version = ", "flavour = 1\nversion = ")]));
    let problems = check(&fixture.dir).unwrap_err();
    let text = problems[0].to_string();
    let prefix = format!(
        "{}:3:1: unknown key `flavour`",
        fixture.dir.join("assignment.toml").display()
    );
    assert!(text.starts_with(&prefix), "{text}");
}

#[test]
fn a_missing_folder_is_one_problem() {
    let temp = tempfile::tempdir().unwrap();
    let problems = check(&temp.path().join("nothing")).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].to_string().ends_with("nothing: not a folder"));
}

#[test]
fn content_hash_covers_content_and_ignores_examples() {
    let fixture = Fixture::new(VALID);
    let dir = &fixture.dir;
    let hash = content_hash(dir).unwrap();
    assert_eq!(hash.len(), 64);
    assert!(
        hash.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    assert_eq!(content_hash(dir).unwrap(), hash, "stable");

    let listed: Vec<String> = content_files(dir)
        .unwrap()
        .into_iter()
        .map(|(rel, _)| rel)
        .collect();
    let expected = [
        "assignment.toml",
        "brief.md",
        "data/test.csv",
        "data/train.csv",
        "generate.py",
        "hidden/test_labels.csv",
    ];
    assert_eq!(listed, expected);

    fs::create_dir_all(dir.join("examples/strong")).unwrap();
    fs::write(dir.join("examples/strong/main.py"), "print(1)\n").unwrap();
    fs::write(dir.join("notes.txt"), "not content\n").unwrap();
    assert_eq!(
        content_hash(dir).unwrap(),
        hash,
        "examples/ and other files are not content"
    );

    let changed = |edit: &dyn Fn(&Path)| {
        let fixture = Fixture::new(VALID);
        edit(&fixture.dir);
        content_hash(&fixture.dir).unwrap()
    };
    let variants = [
        changed(&|d| fs::write(d.join("brief.md"), "# Another brief\n").unwrap()),
        changed(&|d| fs::write(d.join("data/extra.csv"), "a\n1\n").unwrap()),
        changed(&|d| fs::write(d.join("hidden/test_labels.csv"), "customer_id,churned\n").unwrap()),
        changed(&|d| fs::write(d.join("generate.py"), "# changed\n").unwrap()),
        changed(&|d| fs::remove_file(d.join("generate.py")).unwrap()),
        changed(&|d| fs::rename(d.join("data/test.csv"), d.join("data/test2.csv")).unwrap()),
        changed(&|d| {
            fs::create_dir(d.join("starter")).unwrap();
            fs::write(d.join("starter/main.py"), "").unwrap();
        }),
    ];
    for (i, variant) in variants.iter().enumerate() {
        assert_ne!(variant, &hash, "variant {i}");
    }
}

#[test]
fn shipped_hashes_do_not_depend_on_examples() {
    let fixture =
        Fixture::new(&fs::read_to_string(assignments().join("churn/assignment.toml")).unwrap());
    assert_eq!(
        content_hash(&fixture.dir).unwrap(),
        content_hash(&assignments().join("churn")).unwrap()
    );
}

#[cfg(unix)]
#[test]
fn symlinks_are_refused_not_followed() {
    let fixture = Fixture::new(VALID);
    let outside = fixture.dir.parent().unwrap().join("secret.csv");
    fs::write(&outside, "customer_id,churned\nC1,1\n").unwrap();
    std::os::unix::fs::symlink(&outside, fixture.dir.join("data/link.csv")).unwrap();
    let err = content_hash(&fixture.dir).unwrap_err().to_string();
    assert!(err.contains("link.csv is a symbolic link"), "{err}");

    let fixture = Fixture::new(VALID);
    fs::remove_file(fixture.dir.join("hidden/test_labels.csv")).unwrap();
    std::os::unix::fs::symlink(&outside, fixture.dir.join("hidden/test_labels.csv")).unwrap();
    let problems = check(&fixture.dir).unwrap_err();
    assert_eq!(problems.len(), 1, "{}", show(&problems));
    assert_eq!((problems[0].line, problems[0].column), (Some(24), Some(9)));
    assert!(
        problems[0].message.contains("is a symbolic link"),
        "{}",
        problems[0]
    );
}
