//! `takehome bench` (`all`): every performance goal of the README's table, each figure beside
//! its native baseline, the ratio and the goal, measured in one run on this machine.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use super::notebook::{notebook_value, run_native, run_takehome, timings};
use super::python::run_printing;
use super::sandbox::{Compute, ratio, trivial_runs};
use super::{format_duration, time_median};
use crate::sandbox::Sandbox;

/// One figure, its native baseline (when it has one) and the goal it is held to.
struct Figure {
    what: &'static str,
    takehome: Duration,
    native: Option<Duration>,
    goal: Goal,
}

enum Goal {
    /// At most this multiple of the native figure.
    Ratio(f64),
    /// At most this long.
    Time(Duration),
    /// Measured, with no goal of its own.
    None,
}

pub fn goals(iterations: usize) -> anyhow::Result<()> {
    let venv = super::python::baseline_venv()?;
    let python = venv.join("bin/python");
    let work = tempfile::tempdir()?;
    let mut figures = Vec::new();

    let hello = write(&work.path().join("hello"), "hello.py", super::python::HELLO)?;
    figures.push(script(
        "`print('hi')`, whole process",
        &hello,
        "hi",
        &python,
        iterations,
        Goal::Ratio(1.5),
    )?);

    let cache = tempfile::tempdir()?;
    let metered = Sandbox::new(Some(cache.path().to_path_buf()))?;
    figures.push(Figure {
        what: "trivial module, instantiate + run, in process",
        takehome: trivial_runs(&metered, iterations)?.0,
        native: None,
        goal: Goal::Time(Duration::from_micros(30)),
    });
    let compute = Compute::build()?;
    figures.push(Figure {
        what: "compute-bound C (`src/bench/compute.c`), fuel metered, vs `cc -O2`",
        takehome: compute.in_sandbox(&metered, iterations)?,
        native: Some(compute.native(iterations)?),
        goal: Goal::Ratio(1.2),
    });

    let sklearn = write(
        &work.path().join("sklearn"),
        "sklearn_fit.py",
        super::python::SKLEARN,
    )?;
    figures.push(script(
        "scikit-learn fit (`takehome bench python`)",
        &sklearn,
        "accuracy",
        &python,
        iterations,
        Goal::Ratio(0.1),
    )?);
    let project = write_project(&work.path().join("project"))?;
    figures.push(script(
        "a pandas + scikit-learn + matplotlib project",
        &project,
        "forest ROC AUC",
        &python,
        iterations,
        Goal::Ratio(0.15),
    )?);

    let bench = write(
        &work.path().join("bench"),
        "bench.ipynb",
        &super::notebook::notebook_json(),
    )?;
    figures.push(notebook(
        "notebook (`takehome bench notebook`) vs nbclient + ipykernel",
        &bench,
        &["ROC AUC 0.", "image/png", "<table"],
        &python,
        iterations,
    )?);
    let analysis = write(
        &work.path().join("analysis"),
        "analysis.ipynb",
        &json(&ANALYSIS),
    )?;
    figures.push(notebook(
        "a ten-cell analysis notebook vs nbclient",
        &analysis,
        &[
            "cross-validated ROC AUC 0.",
            "image/png",
            "<table",
            "precision",
        ],
        &python,
        iterations,
    )?);
    figures.push(per_cell(&work.path().join("cells"), &python, iterations)?);

    print_figures(&figures);
    Ok(())
}

/// Writes `name` into `dir`, made if need be. Each program gets a folder of its own:
/// `takehome run` copies the whole folder as the working copy.
fn write(dir: &Path, name: &str, text: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(name);
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

fn json(cells: &[&str]) -> String {
    serde_json::to_string_pretty(&notebook_value(cells)).expect("notebooks serialise")
}

/// A script by `takehome run` and by the venv's Python from the script's folder, each a
/// whole process that must print `expect`.
fn script(
    what: &'static str,
    path: &Path,
    expect: &str,
    python: &Path,
    iterations: usize,
    goal: Goal,
) -> anyhow::Result<Figure> {
    let folder = path.parent().context("a script's folder")?;
    let run = |cmd: &mut Command| run_printing(cmd.current_dir(folder), expect);
    let exe = std::env::current_exe()?;
    let takehome = || {
        let mut cmd = Command::new(&exe);
        cmd.arg("run").arg(path);
        cmd
    };
    run(&mut takehome())?;
    run(Command::new(python).arg(path))?;
    Ok(Figure {
        what,
        takehome: time_median(iterations, || run(&mut takehome()))?,
        native: Some(time_median(iterations, || {
            run(Command::new(python).arg(path))
        })?),
        goal,
    })
}

/// A notebook by `takehome run --out` and by nbclient, warm: the median after a first run.
fn notebook(
    what: &'static str,
    path: &Path,
    shown: &[&str],
    python: &Path,
    iterations: usize,
) -> anyhow::Result<Figure> {
    let out = tempfile::tempdir()?;
    let takehome = timings(iterations, |i| {
        run_takehome(path, &out.path().join(format!("takehome-{i}")), shown)
    })?;
    let native = timings(iterations, |i| {
        run_native(
            python,
            path,
            &out.path().join(format!("native-{i}.ipynb")),
            shown,
        )
    })?;
    Ok(Figure {
        what,
        takehome: takehome.1,
        native: Some(native.1),
        goal: Goal::Ratio(0.2),
    })
}

/// The cost of one more cell: a 30-cell notebook against its first cell alone, both with
/// saved outputs (so takehome compares each cell's rerun with what was saved).
fn per_cell(dir: &Path, python: &Path, iterations: usize) -> anyhow::Result<Figure> {
    const CELLS: usize = 30;
    let first = "import numpy as np\nimport pandas as pd\ndf = pd.DataFrame({'a': np.arange(1000)})\ndf.shape";
    let bodies: Vec<String> = std::iter::once(first.to_string())
        .chain((1..CELLS).map(|i| format!("df['a'].sum() + {i}")))
        .collect();
    let saved: Vec<String> = std::iter::once("(1000, 1)".to_string())
        .chain((1..CELLS).map(|i| (499_500 + i).to_string()))
        .collect();
    let notebook_of = |n: usize, name: &str| -> anyhow::Result<PathBuf> {
        let cells: Vec<&str> = bodies[..n].iter().map(String::as_str).collect();
        let mut value = notebook_value(&cells);
        for (i, cell) in value["cells"]
            .as_array_mut()
            .into_iter()
            .flatten()
            .enumerate()
        {
            cell["execution_count"] = serde_json::json!(i + 1);
            cell["outputs"] = serde_json::json!([{
                "output_type": "execute_result", "execution_count": i + 1, "metadata": {},
                "data": {"text/plain": saved[i]},
            }]);
        }
        let (folder, file) = name.split_once('/').expect("folder/file");
        write(
            &dir.join(folder),
            file,
            &serde_json::to_string_pretty(&value)?,
        )
    };
    let one = notebook_of(1, "one/cells.ipynb")?;
    let thirty = notebook_of(CELLS, "thirty/cells.ipynb")?;
    let last = (499_500 + CELLS - 1).to_string();
    let out = tempfile::tempdir()?;
    let side = |label: &str, run: &dyn Fn(&Path, &Path, &[&str]) -> anyhow::Result<()>| {
        let one_time = timings(iterations, |i| {
            run(
                &one,
                &out.path().join(format!("{label}-one-{i}")),
                &["(1000, 1)"],
            )
        })?
        .1;
        let thirty_time = timings(iterations, |i| {
            run(
                &thirty,
                &out.path().join(format!("{label}-thirty-{i}")),
                &[&last],
            )
        })?
        .1;
        anyhow::Ok(thirty_time.saturating_sub(one_time) / (CELLS as u32 - 1))
    };
    let takehome = side("takehome", &|nb, out, shown| run_takehome(nb, out, shown))?;
    let native = side("native", &|nb, out, shown| {
        run_native(python, nb, &out.with_extension("ipynb"), shown)
    })?;
    Ok(Figure {
        what: "one more notebook cell (30 cells against 1, saved outputs compared)",
        takehome,
        native: Some(native),
        goal: Goal::None,
    })
}

fn print_figures(figures: &[Figure]) {
    println!("\n### Performance goals (issue 28), side by side\n");
    println!("| figure | takehome | native | ratio | goal | met |");
    println!("|---|---:|---:|---:|---:|---|");
    for figure in figures {
        let ratio_of = figure.native.map(|n| ratio(figure.takehome, n));
        let (goal, met) = match figure.goal {
            Goal::Ratio(at_most) => (
                format!("≤ {at_most}x"),
                ratio_of.map(|r| r <= at_most).unwrap_or(false),
            ),
            Goal::Time(at_most) => (
                format!("≤ {}", format_duration(at_most)),
                figure.takehome <= at_most,
            ),
            Goal::None => ("".into(), true),
        };
        println!(
            "| {} | {} | {} | {} | {goal} | {} |",
            figure.what,
            format_duration(figure.takehome),
            figure.native.map(format_duration).unwrap_or_default(),
            ratio_of.map(|r| format!("{r:.2}x")).unwrap_or_default(),
            match figure.goal {
                Goal::None => "",
                _ if met => "yes",
                _ => "no",
            },
        );
    }
}

/// The ten cells of a short exploratory analysis: a frame, its summaries, two figures, a
/// cross-validated pipeline and a forest with its report.
const ANALYSIS: [&str; 10] = [
    "import numpy as np\nimport pandas as pd\nimport matplotlib.pyplot as plt\n\
     from sklearn.model_selection import train_test_split, cross_val_score\n\
     from sklearn.pipeline import make_pipeline\nfrom sklearn.preprocessing import StandardScaler\n\
     from sklearn.linear_model import LogisticRegression\n\
     from sklearn.ensemble import RandomForestClassifier\n\
     from sklearn.metrics import classification_report",
    "rng = np.random.default_rng(1)\nn = 5000\n\
     df = pd.DataFrame({'tenure': rng.integers(1, 72, n), 'monthly': rng.normal(70, 20, n).round(2),\n\
     \x20                  'tickets': rng.poisson(1.5, n), 'plan': rng.choice(['basic', 'plus', 'pro'], n)})\n\
     logit = -1.5 - 0.04 * df.tenure + 0.02 * df.monthly + 0.5 * df.tickets\n\
     df['churn'] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)\n\
     df.head()",
    "df.describe()",
    "df['plan'].value_counts()",
    "df.pivot_table(index='plan', columns=pd.cut(df.tenure, [0, 12, 36, 72]), values='churn', \
     aggfunc='mean', observed=True).round(3)",
    "fig, axes = plt.subplots(1, 2, figsize=(8, 3))\ndf.tenure.hist(ax=axes[0], bins=24)\n\
     df.monthly.hist(ax=axes[1], bins=24)\naxes[0].set_title('tenure')\naxes[1].set_title('monthly')",
    "df[['tenure', 'monthly', 'tickets', 'churn']].corr().round(2)",
    "X = pd.get_dummies(df.drop(columns='churn'), columns=['plan'], dtype=float)\ny = df.churn\n\
     X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)\n\
     pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))\n\
     auc = cross_val_score(pipe, X_train, y_train, cv=5, scoring='roc_auc')\n\
     print(f'cross-validated ROC AUC {auc.mean():.3f}')",
    "forest = RandomForestClassifier(n_estimators=60, random_state=0).fit(X_train, y_train)\n\
     pd.Series(forest.feature_importances_, index=X.columns).sort_values().plot.barh(figsize=(5, 3))",
    "print(classification_report(y_test, forest.predict(X_test)))",
];

/// A small project as handed in: a CSV under `data/` and a script that summarises it with
/// pandas, fits two scikit-learn pipelines, saves a matplotlib figure and its predictions.
/// Returns the script.
fn write_project(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir.join("data"))?;
    let mut csv = String::from("id,tenure,monthly,tickets,plan,churn\n");
    // A fixed linear congruential sequence: the same data on every machine.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    for id in 0..4000 {
        let tenure = 1 + (next() * 71.0) as u32;
        let monthly = 30.0 + next() * 80.0;
        let tickets = (next() * next() * 6.0) as u32;
        let plan = ["basic", "plus", "pro"][(next() * 3.0) as usize % 3];
        let risk = 0.5 - f64::from(tenure) / 100.0 + monthly / 400.0 + f64::from(tickets) / 10.0;
        let churn = u8::from(next() < risk);
        csv.push_str(&format!(
            "{id},{tenure},{monthly:.2},{tickets},{plan},{churn}\n"
        ));
    }
    write(&dir.join("data"), "customers.csv", &csv)?;
    write(dir, "analysis.py", PROJECT)
}

const PROJECT: &str = "import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

df = pd.read_csv('data/customers.csv')
df['band'] = pd.cut(df.tenure, [0, 12, 24, 48, 72], labels=['<1y', '1-2y', '2-4y', '4y+'])
print(df.groupby('plan').agg(churn=('churn', 'mean'), monthly=('monthly', 'mean')).round(3))
features = ['tenure', 'monthly', 'tickets', 'plan']
X_train, X_test, y_train, y_test = train_test_split(
    df[features], df.churn, test_size=0.25, random_state=0, stratify=df.churn)
prepare = ColumnTransformer([('num', StandardScaler(), ['tenure', 'monthly', 'tickets']),
                             ('cat', OneHotEncoder(), ['plan'])])
scores = {}
for name, model in [('logistic', LogisticRegression(max_iter=500)),
                    ('forest', RandomForestClassifier(n_estimators=50, random_state=0))]:
    pipe = make_pipeline(prepare, model).fit(X_train, y_train)
    scores[name] = pipe.predict_proba(X_test)[:, 1]
    print(f'{name} ROC AUC {roc_auc_score(y_test, scores[name]):.3f}')
fig, ax = plt.subplots(figsize=(5, 3))
df.groupby('band', observed=True).churn.mean().plot.bar(ax=ax)
ax.set_ylabel('churn rate')
fig.savefig('churn_by_tenure.png', dpi=80)
pd.DataFrame({'id': df.id[X_test.index], 'score': np.round(scores['forest'], 4)}).to_csv(
    'predictions.csv', index=False)
";
