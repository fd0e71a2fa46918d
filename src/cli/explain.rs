//! `arzyab explain`: one office's explanation, in the context of its population.

use std::path::Path;
use std::process::ExitCode;

pub fn run(
    round: &Path,
    offices_path: &Path,
    office: &str,
    fa: bool,
    json: bool,
) -> Result<ExitCode, String> {
    let rs = super::load(round)?;
    let offices = super::load_offices(&rs, offices_path)?;
    let wanted = crate::domain::OfficeId::parse(office)
        .map_err(|e| if fa { e.fa() } else { e.to_string() })?;
    let index = offices.iter().position(|o| o.id == wanted).ok_or_else(|| {
        if fa {
            format!(
                "دفتر {} در {} نیست",
                crate::domain::quoted(office),
                crate::domain::quoted(offices_path.display())
            )
        } else {
            format!(
                "there is no office `{office}` in {}",
                offices_path.display()
            )
        }
    })?;
    let ranking = super::ranked(&rs, &offices)?;
    let mut explanation =
        crate::engine::explain::explain(&rs, &offices[index], Some(&ranking.placements[index]))
            .map_err(|e| e.to_string())?;
    explanation.neighbours = crate::engine::explain::neighbours(&rs, &offices, &ranking, index);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&explanation).expect("explanations serialize")
        );
    } else {
        print!("{}", explanation.render(fa));
    }
    Ok(ExitCode::SUCCESS)
}
