//! The hiring lead's view of a cohort, answers no single packet gives: which submissions
//! share code ([`similarity`]), whether the reviewers agree enough for the scores to mean
//! something ([`agreement`]), and whether one reviewer grades harsher than the others
//! ([`leniency`]). The measures are pure functions; this module reads their inputs through
//! the store.

pub mod agreement;
pub mod leniency;
pub mod similarity;
pub mod tokens;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::assignment::Assignment;
use crate::base::FileRef;
use crate::review::Scores;
use crate::store::Workspace;
use agreement::{Estimate, Metric};
use leniency::{Leniency, Rating};
use similarity::{Document, Origin, Similarity, SourceFile};

/// What the similarity is, every time it is shown.
pub const SIMILARITY_NOTE: &str = "Similarity is a lead for a human to check, never a verdict: shared code has innocent causes (the same tutorial, the same library example, the starter code's style). Read both submissions side by side before concluding anything.";

/// Agreement on one rubric criterion.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CriterionAgreement {
    pub id: String,
    pub title: String,
    /// Alpha with the ordinal metric (rubric levels are ordered), with its interval.
    pub ordinal: Estimate,
    pub nominal: Option<f64>,
    pub interval: Option<f64>,
    pub ratio: Option<f64>,
}

/// Agreement between the reviewers of one assignment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Agreement {
    pub criteria: Vec<CriterionAgreement>,
    /// Alpha of the weighted totals (interval metric: totals are averages of levels).
    pub weighted_total: Estimate,
    /// Criteria whose ordinal alpha is below 0.667: rewrite their level descriptors.
    pub low: Vec<String>,
}

/// One reviewer's leniency, with their name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReviewerLeniency {
    pub name: String,
    #[serde(flatten)]
    pub leniency: Leniency,
}

/// The whole cohort view of one assignment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cohort {
    pub assignment: String,
    /// Candidates with a submission.
    pub submissions: usize,
    /// Submitted reviews.
    pub reviews: usize,
    pub agreement: Agreement,
    pub leniency: Vec<ReviewerLeniency>,
    pub similarity_note: &'static str,
    pub similarity: Similarity,
}

/// The code of every candidate's newest submission of assignment `assignment_id` (any
/// version), and the assignment's starter code (`starter/` files of every version).
pub async fn documents(
    workspace: &Workspace,
    assignment_id: &str,
) -> anyhow::Result<(Vec<Document>, Vec<SourceFile>)> {
    let store = &workspace.store;
    let versions: Vec<_> = store
        .assignments()
        .await?
        .into_iter()
        .filter(|a| a.id == assignment_id)
        .collect();
    let mut starter = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for version in &versions {
        let files: Vec<FileRef> = version.decode_files()?;
        for f in files.iter().filter(|f| f.path.starts_with("starter/")) {
            if seen.insert(f.sha256.clone())
                && let Some(file) = SourceFile::read(&f.path, &workspace.blobs.get(&f.sha256)?)
            {
                starter.push(file);
            }
        }
    }
    let hashes: Vec<&str> = versions.iter().map(|v| v.content_hash.as_str()).collect();
    let mut documents = Vec::new();
    for candidate in store.candidates().await? {
        if !hashes.contains(&candidate.assignment_hash.as_str()) {
            continue;
        }
        let Some(newest) = store.submissions(Some(&candidate.pseudonym)).await?.pop() else {
            continue;
        };
        let files: Vec<FileRef> = newest.decode_files()?;
        let mut code = Vec::new();
        for f in files.iter().filter(|f| tokens::is_code(&f.path)) {
            if f.bytes as usize <= tokens::MAX_SOURCE_BYTES
                && let Some(file) = SourceFile::read(&f.path, &workspace.blobs.get(&f.sha256)?)
            {
                code.push(file);
            }
        }
        documents.push(Document {
            label: candidate.pseudonym.clone(),
            origin: Origin::Submission,
            files: code,
        });
    }
    Ok((documents, starter))
}

/// Known public solutions from the folder `dir`: each sub-folder is one solution (all its
/// `.py` and `.ipynb` files), and so is each code file directly in `dir`. Symbolic links
/// are not followed.
pub fn public_documents(dir: &Path) -> anyhow::Result<Vec<Document>> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| {
            format!(
                "cannot read the folder of public solutions {}",
                dir.display()
            )
        })?
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    let mut documents = Vec::new();
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        let mut files = Vec::new();
        if kind.is_dir() {
            let mut stack = vec![entry.path()];
            while let Some(folder) = stack.pop() {
                let mut inner: Vec<_> = std::fs::read_dir(&folder)
                    .with_context(|| format!("cannot read {}", folder.display()))?
                    .collect::<Result<_, _>>()?;
                inner.sort_by_key(|e| e.file_name());
                for e in inner {
                    let t = e.file_type()?;
                    if t.is_dir() {
                        stack.push(e.path());
                    } else if t.is_file() {
                        let path = e.path();
                        let relative = path
                            .strip_prefix(entry.path())
                            .unwrap_or(&path)
                            .to_string_lossy()
                            .into_owned();
                        if let Some(file) = read_public(&path, &relative)? {
                            files.push(file);
                        }
                    }
                }
            }
        } else if kind.is_file()
            && let Some(file) = read_public(&entry.path(), &name)?
        {
            files.push(file);
        }
        if !files.is_empty() {
            documents.push(Document {
                label: format!("public:{name}"),
                origin: Origin::Public,
                files,
            });
        }
    }
    Ok(documents)
}

fn read_public(path: &Path, relative: &str) -> anyhow::Result<Option<SourceFile>> {
    if !tokens::is_code(relative)
        || std::fs::metadata(path)?.len() as usize > tokens::MAX_SOURCE_BYTES
    {
        return Ok(None);
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(SourceFile::read(relative, &bytes))
}

/// The cohort view of assignment `assignment_id`, comparing with `public` solutions too.
pub async fn cohort(
    workspace: &Workspace,
    assignment_id: &str,
    public: Vec<Document>,
) -> anyhow::Result<Cohort> {
    let (mut documents, starter) = documents(workspace, assignment_id).await?;
    let submissions = documents.len();
    documents.extend(public);
    let similarity = similarity::compare(&documents, &starter, &similarity::Settings::default());
    let (agreement, leniency, reviews) = reviews(workspace, assignment_id).await?;
    Ok(Cohort {
        assignment: assignment_id.to_string(),
        submissions,
        reviews,
        agreement,
        leniency,
        similarity_note: SIMILARITY_NOTE,
        similarity,
    })
}

/// Agreement and leniency from the submitted reviews of the assignment's candidates, and
/// how many reviews there are.
async fn reviews(
    workspace: &Workspace,
    assignment_id: &str,
) -> anyhow::Result<(Agreement, Vec<ReviewerLeniency>, usize)> {
    let store = &workspace.store;
    let versions: HashMap<String, Assignment> = store
        .assignments()
        .await?
        .into_iter()
        .filter(|a| a.id == assignment_id)
        .map(|a| Ok((a.content_hash.clone(), a.decode_manifest()?)))
        .collect::<anyhow::Result<_>>()?;
    let newest = store
        .assignment(assignment_id)
        .await?
        .with_context(|| format!("no assignment `{assignment_id}`"))?;
    let rubric = versions
        .get(&newest.content_hash)
        .map(|a| a.rubric.clone())
        .unwrap_or_default();
    let version_of: HashMap<String, String> = store
        .candidates()
        .await?
        .into_iter()
        .filter(|c| versions.contains_key(&c.assignment_hash))
        .map(|c| (c.pseudonym, c.assignment_hash))
        .collect();
    let names = store.reviewer_names().await?;
    let mut ratings = Vec::new();
    let mut totals: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for row in store.reviews().await? {
        let Some(hash) = version_of.get(&row.pseudonym) else {
            continue;
        };
        if row.state != crate::store::reviews::ReviewState::Submitted {
            continue;
        }
        let scores = Scores::of(&row)?;
        if let Some(total) = scores.weighted_total(&versions[hash].rubric) {
            totals.entry(row.pseudonym.clone()).or_default().push(total);
        }
        ratings.push(Rating {
            reviewer: row.reviewer_id.clone(),
            candidate: row.pseudonym.clone(),
            levels: scores
                .levels
                .iter()
                .map(|(id, &level)| (id.clone(), f64::from(level)))
                .collect(),
        });
    }
    let criteria: Vec<CriterionAgreement> = rubric
        .iter()
        .map(|criterion| {
            let mut units: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
            for r in &ratings {
                if let Some(&level) = r.levels.get(&criterion.id) {
                    units.entry(&r.candidate).or_default().push(level);
                }
            }
            let units: Vec<Vec<f64>> = units.into_values().collect();
            let table = agreement::coincidences(&units);
            CriterionAgreement {
                id: criterion.id.clone(),
                title: criterion.title.clone(),
                ordinal: agreement::estimate(&units, Metric::Ordinal),
                nominal: table.alpha(Metric::Nominal),
                interval: table.alpha(Metric::Interval),
                ratio: table.alpha(Metric::Ratio),
            }
        })
        .collect();
    let low = criteria
        .iter()
        .filter(|c| c.ordinal.low)
        .map(|c| c.id.clone())
        .collect();
    let totals: Vec<Vec<f64>> = totals.into_values().collect();
    let agreement = Agreement {
        weighted_total: agreement::estimate(&totals, Metric::Interval),
        criteria,
        low,
    };
    let leniency = leniency::leniency(&ratings)
        .into_iter()
        .map(|l| ReviewerLeniency {
            name: names.get(&l.reviewer).cloned().unwrap_or_default(),
            leniency: l,
        })
        .collect();
    Ok((agreement, leniency, ratings.len()))
}

/// Two submissions of one assignment side by side, with their shared fragments marked:
/// the pair as compared in the cohort, and each side's files. `None` when either is not a
/// submission of this assignment.
pub async fn side_by_side(
    workspace: &Workspace,
    assignment_id: &str,
    left: &str,
    right: &str,
) -> anyhow::Result<Option<(similarity::Pair, SideBySide)>> {
    let (documents, starter) = documents(workspace, assignment_id).await?;
    let find = |label: &str| documents.iter().find(|d| d.label == label);
    let (Some(a), Some(b)) = (find(left), find(right)) else {
        return Ok(None);
    };
    if a.label == b.label {
        return Ok(None);
    }
    // The pair is compared within the cohort, so that common fragments are discounted
    // exactly as in the ranked list.
    let compared = similarity::compare(&documents, &starter, &similarity::Settings::default());
    let Some(mut pair) = compared
        .pairs
        .into_iter()
        .find(|p| (p.left == left && p.right == right) || (p.left == right && p.right == left))
    else {
        return Ok(None);
    };
    if pair.left != left {
        std::mem::swap(&mut pair.left, &mut pair.right);
        std::mem::swap(&mut pair.overlap_left, &mut pair.overlap_right);
        std::mem::swap(&mut pair.tokens_left, &mut pair.tokens_right);
        for f in &mut pair.fragments {
            std::mem::swap(&mut f.left, &mut f.right);
        }
    }
    let view = SideBySide {
        left: similarity::marked(a, &pair, true),
        right: similarity::marked(b, &pair, false),
    };
    Ok(Some((pair, view)))
}

/// The files of both sides, lines marked with their fragment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SideBySide {
    pub left: Vec<similarity::FileView>,
    pub right: Vec<similarity::FileView>,
}
