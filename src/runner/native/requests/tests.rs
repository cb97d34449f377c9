use super::*;

fn names(found: &Requests) -> Vec<&str> {
    found
        .requests
        .iter()
        .map(|r| r.requirement.as_str())
        .collect()
}

#[test]
fn requirement_lines_keep_names_extras_and_versions_and_drop_other_platforms() {
    let text = "# packages\n\
                pandas<3  # written for pandas 2\n\
                scikit-learn==1.3.2\n\
                \n\
                transformers[torch]>=4.30\n\
                pywin32==306; sys_platform == 'win32'\n\
                tomli; python_version < '3.11'\n\
                torch==2.1.0+cpu\n\
                Pandas>=1\n";
    let found = read_requirements(text, "requirements.txt");
    assert_eq!(
        names(&found),
        [
            "pandas<3",
            "scikit-learn==1.3.2",
            "transformers[torch]>=4.30",
            "torch==2.1.0"
        ]
    );
    assert_eq!(found.requests[1].asked_by, "requirements.txt:3");
    assert_eq!(found.requests[0].name, "pandas");
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
}

#[test]
fn pip_options_urls_and_nonsense_are_named_and_never_passed_on() {
    let text = "--index-url http://10.0.0.1/simple\n\
                -r other.txt\n\
                -e .\n\
                evil @ https://example.invalid/evil.whl\n\
                ./local/wheel.whl\n\
                numpy===\n\
                shap\n";
    let found = read_requirements(text, "requirements.txt");
    assert_eq!(names(&found), ["shap"]);
    assert_eq!(found.warnings.len(), 6, "{:#?}", found.warnings);
    assert!(found.warnings[0].starts_with("requirements.txt:1: `--index-url"));
    assert!(
        found.warnings[3].contains("not honoured"),
        "{}",
        found.warnings[3]
    );
    assert!(found.warnings.iter().all(|w| !w.contains("\n")));
}

#[test]
fn a_request_accepts_the_versions_its_specifiers_allow() {
    let found = read_requirements("pandas<3\nnumpy\n", "r.txt");
    assert!(found.requests[0].accepts("2.2.3"));
    assert!(!found.requests[0].accepts("3.1.1"));
    assert!(found.requests[1].accepts("2.4.6"));
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn stdlib() -> BTreeSet<String> {
    ["os", "sys", "json", "collections", "typing"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn imports_become_packages_by_their_wheels_names() {
    let notebook = serde_json::json!({
        "cells": [
            {"cell_type": "markdown", "source": "import nothing_here"},
            {"cell_type": "code", "source": ["%matplotlib inline\n", "!pip install -q shap==0.46.0\n", "import seaborn as sns\n"]},
            {"cell_type": "code", "source": "from google.colab import drive\nimport cv2, PIL.Image\n"},
        ]
    });
    let dir = project(&[
        (
            "main.py",
            "import os, sys\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression\n\
             from . import sibling\nfrom helpers import tidy\nimport src.features\n\
             try:\n    import xgboost\nexcept ImportError:\n    pass\n",
        ),
        ("helpers.py", "import json\n"),
        ("src/features.py", "import typing\n"),
        ("eda.ipynb", &notebook.to_string()),
        (
            ".venv/lib/site-packages/evil.py",
            "import should_not_be_seen\n",
        ),
    ]);
    let found = from_imports(dir.path(), &stdlib());
    assert_eq!(
        names(&found),
        [
            "numpy",
            "opencv-python-headless",
            "pillow",
            "scikit-learn",
            "seaborn",
            "shap==0.46.0",
            "xgboost-cpu"
        ]
    );
    let seaborn = found.requests.iter().find(|r| r.name == "seaborn").unwrap();
    assert_eq!(seaborn.asked_by, "import seaborn (eda.ipynb cell 2 line 3)");
    let sklearn = found
        .requests
        .iter()
        .find(|r| r.name == "scikit-learn")
        .unwrap();
    assert_eq!(sklearn.asked_by, "import sklearn.linear_model (main.py:3)");
    let shap = found.requests.iter().find(|r| r.name == "shap").unwrap();
    assert_eq!(shap.asked_by, "pip install (eda.ipynb cell 2 line 2)");
}

#[test]
fn a_requirements_file_wins_over_imports_and_is_found_beside_the_entry() {
    let dir = project(&[
        ("code/train.py", "import seaborn\n"),
        ("code/requirements.txt", "lightgbm==4.1.0\n"),
    ]);
    let python = Path::new("python3");
    let entry = dir.path().join("code/train.py");
    let found = requests_for(dir.path(), Some(&entry), python).unwrap();
    assert_eq!(names(&found), ["lightgbm==4.1.0"]);
    assert_eq!(found.requests[0].asked_by, "code/requirements.txt:1");
}
