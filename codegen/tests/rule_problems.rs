//! Each bad `google.api.http` rule is one typed, located [`Problem`]: tests
//! and tools match on the value, not on the sentence.

use protoway_codegen::Request;
use protoway_codegen::compile::request_bytes;
use protoway_codegen::diagnostic::{BodyFieldReason, PathFieldReason, Problem};
use protoway_codegen::http::{HttpOptions, method_bindings};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn bad_rules(strict: bool) -> Vec<(String, Result<usize, Vec<Problem>>)> {
    let bytes = request_bytes(
        &["bad/bad_rules.proto"],
        &[&format!("{ROOT}/testdata/http"), &format!("{ROOT}/proto")],
        "",
    )
    .unwrap();
    let request = Request::decode(&bytes).unwrap();
    let options = HttpOptions {
        strict,
        ..Default::default()
    };
    let service = request.pool().get_service_by_name("bad.v1.Bad").unwrap();
    service
        .methods()
        .map(|m| {
            let outcome = method_bindings(&request, &m, &options)
                .map(|b| b.map_or(0, |b| b.len()))
                .map_err(|d| d.into_iter().map(|d| *d.problem).collect());
            (m.name().to_owned(), outcome)
        })
        .collect()
}

fn path_field(template: &str, field: &str, reason: PathFieldReason) -> Problem {
    Problem::PathField {
        template: template.into(),
        field: field.into(),
        reason,
    }
}

#[test]
fn every_bad_rule_is_its_own_problem() {
    let outcomes = bad_rules(false);
    let problem = |name: &str| -> Problem {
        let (_, outcome) = outcomes.iter().find(|(n, _)| n == name).unwrap();
        let problems = outcome.as_ref().expect_err(name);
        assert_eq!(problems.len(), 1, "{name}: {problems:?}");
        problems[0].clone()
    };
    let missing = |segment: &str, message: &str| PathFieldReason::Missing {
        segment: segment.into(),
        message: message.into(),
    };
    assert_eq!(
        problem("UnknownPathField"),
        path_field("/v1/{nope}", "nope", missing("nope", "bad.v1.Req"))
    );
    assert_eq!(
        problem("RepeatedPathField"),
        path_field("/v1/{items}", "items", PathFieldReason::Repeated)
    );
    assert_eq!(
        problem("MessagePathField"),
        path_field(
            "/v1/{inner}",
            "inner",
            PathFieldReason::Message("bad.v1.Inner".into())
        )
    );
    assert_eq!(
        problem("MapPathField"),
        path_field("/v1/{labels}", "labels", PathFieldReason::Map)
    );
    assert_eq!(
        problem("ThroughScalar"),
        path_field(
            "/v1/{name.x}",
            "name.x",
            PathFieldReason::NotAMessage {
                segment: "name".into()
            }
        )
    );
    assert_eq!(
        problem("MissingBodyField"),
        Problem::BodyField {
            option: "body",
            field: "nope".into(),
            reason: BodyFieldReason::Missing {
                segment: "nope".into(),
                message: "bad.v1.Req".into()
            },
        }
    );
    assert!(matches!(
        problem("MissingResponseBody"),
        Problem::BodyField {
            option: "response_body",
            ..
        }
    ));
    for name in ["VariableInVariable", "SecondDoubleStar", "BadTemplate"] {
        assert!(
            matches!(problem(name), Problem::Template { .. }),
            "{name}: {:?}",
            problem(name)
        );
    }
    assert_eq!(
        problem("NestedAdditional"),
        Problem::NestedAdditionalBindings
    );
    // Accepted as kratos accepts them: the rule is served without its body.
    for name in ["GetWithBody", "DeleteWithBody"] {
        let (_, outcome) = outcomes.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(outcome, &Ok(1), "{name}");
    }
}

#[test]
fn strict_turns_the_lenient_problems_into_errors() {
    let outcomes = bad_rules(true);
    for (name, method) in [("GetWithBody", "GET"), ("DeleteWithBody", "DELETE")] {
        let (_, outcome) = outcomes.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(
            outcome,
            &Err(vec![Problem::BodyIgnored {
                method: method.into(),
                template: "/v1/z".into()
            }]),
            "{name}"
        );
    }
}

#[test]
fn a_problem_reads_as_the_sentence_protoc_prints() {
    let problem = path_field("/v1/{labels}", "labels", PathFieldReason::Map);
    assert_eq!(
        problem.to_string(),
        r#"path template "/v1/{labels}": field "labels" is a map"#
    );
    let duplicate = Problem::DuplicateBinding {
        binding: "GET /a".into(),
        earlier: "GET /{x} (p.S.M)".into(),
        left_out: true,
    };
    assert_eq!(
        duplicate.to_string(),
        "GET /a matches exactly the requests of GET /{x} (p.S.M), bound earlier; left out (parameter strict makes this an error)"
    );
}
