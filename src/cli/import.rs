//! `lbstack import`: a stack file written from what runs, checked as `validate` would.

use super::*;

pub(super) async fn run_import(args: &ImportArgs, ui: Ui) -> Outcome {
    if args.load_balancers.is_empty() && args.groups.is_empty() && args.tags.is_empty() {
        return Err("nothing to import\nhint: name what runs: --load-balancer NAME, --autoscaling-group NAME or --tag KEY=VALUE".into());
    }
    if let Some(out) = &args.out
        && out.exists()
    {
        return Err(Failed::Line(format!(
            "{} exists; import never overwrites a file\nhint: choose another --out, or move the file away",
            out.display()
        )));
    }
    let clients = crate::ops::connect(&args.aws.options(), None).await?;
    let request = crate::import::Request {
        stack: args.stack.clone(),
        load_balancers: args.load_balancers.clone(),
        groups: args.groups.clone(),
        tags: args.tags.clone(),
        targets: args.targets,
    };
    let imported = crate::import::run(&clients, &request).await?;
    let header = "# Written by `lbstack import` from what runs in AWS. Every resource keeps its name (`name:`):\n\
                  # `lbstack plan THIS_FILE --adopt-all` takes them over in place, adding lbstack's tags.\n";
    let text = format!("{header}{}", imported.yaml);
    let loaded = match &args.out {
        Some(out) => {
            if !imported.files.is_empty()
                && let Some(taken) = imported
                    .files
                    .iter()
                    .map(|(p, _)| out.parent().unwrap_or(std::path::Path::new(".")).join(p))
                    .find(|p| p.exists())
            {
                return Err(Failed::Line(format!("{} exists; import never overwrites a file", taken.display())));
            }
            let dir = out.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let written = (|| -> std::io::Result<()> {
                for (path, bytes) in &imported.files {
                    let at = dir.join(path);
                    if let Some(parent) = at.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(at, bytes)?;
                }
                std::fs::write(out, &text)
            })();
            if let Err(e) = written {
                return Err(Failed::Line(format!("writing {}: {e}", out.display())));
            }
            load_file(ui, out, &[])
        }
        None => {
            if let Some((path, _)) = imported.files.first() {
                return Err(Failed::Line(format!(
                    "a launch template has user data, which is written to a file beside the stack ({path})\nhint: pass --out FILE"
                )));
            }
            print!("{text}");
            stack_format::load_str("import", &text, None, &[])
        }
    };
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    // The file is checked as `validate` would: anything it says is import's to fix.
    if !loaded.report.diagnostics.is_empty() {
        eprint!("{}", loaded.report.render_human(ui.color.enabled(Stream::Err)));
    }
    let counts: Vec<String> = imported
        .counts
        .iter()
        .map(|(section, n)| {
            let kind = crate::kinds::Kind::of_section(section);
            let noun = match kind {
                Some(k) if *n != 1 => k.nouns(),
                Some(k) => k.noun().to_string(),
                None => section.clone(),
            };
            format!("{n} {noun}")
        })
        .collect();
    let target = args.out.as_ref().map_or("the file".to_string(), |p| p.display().to_string());
    eprintln!("Imported {}. Next: lbstack plan {target} --adopt-all", counts.join(", "));
    if loaded.report.has_errors() { Ok(Exit::Failure) } else { Ok(Exit::Success) }
}
