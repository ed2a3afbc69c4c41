use super::test_support::{ctx, error};

#[test]
fn invalid_yaml_and_missing_resources() {
    assert!(error("a: [", &ctx()).contains("not valid YAML"));
    assert!(error("Parameters: {}", &ctx()).contains("Resources"));
}
