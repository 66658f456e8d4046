//! SNS topics: names and display names as SNS takes them, and subscriptions whose endpoint fits
//! their protocol (SNS would refuse the rest at apply, part way).

use super::*;

impl V<'_> {
    pub(super) fn topics(&mut self) {
        for (key, t) in &self.s.topics {
            let tp = p(&["topics", key]);
            self.tags(&format!("{tp}/tags"), &t.tags);
            let name = crate::ownership::names::given(self.s, K::Topic, key);
            if name.is_empty()
                || name.len() > 256
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                let at = if t.name.is_some() { format!("{tp}/name") } else { tp.clone() };
                self.err(
                    &at,
                    format!("`{}` is not an SNS topic name", truncate(&name)),
                    "1–256 letters, digits, hyphens and underscores",
                );
            }
            if t.display_name.as_ref().is_some_and(|d| d.chars().count() > 100) {
                self.err(&format!("{tp}/display_name"), "a display name is at most 100 characters", "");
            }
            let mut seen: HashSet<(SubscriptionProtocol, &str)> = HashSet::new();
            for (i, s) in t.subscriptions.iter().enumerate() {
                let ep = format!("{tp}/subscriptions/{i}/endpoint");
                let Some(e) = s.endpoint.literal() else {
                    if let crate::stack_format::model::Endpoint::Secret(source) = &s.endpoint {
                        self.secret_source(&ep, source, "an endpoint");
                    }
                    continue;
                };
                let problem = match s.protocol {
                    SubscriptionProtocol::Email | SubscriptionProtocol::EmailJson => {
                        let ok = e.split_once('@').is_some_and(|(user, domain)| {
                            !user.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace)
                        });
                        (!ok).then(|| "an e-mail address".to_string())
                    }
                    SubscriptionProtocol::Https => {
                        (!e.starts_with("https://") || e.len() <= 8).then(|| "an `https://` URL".to_string())
                    }
                    SubscriptionProtocol::Http => {
                        (!e.starts_with("http://") || e.len() <= 7).then(|| "an `http://` URL".to_string())
                    }
                    SubscriptionProtocol::Sqs => arn_problem(e, "sqs", &[], self.s.region.as_deref(), false)
                        .map(|p| format!("an SQS queue ARN ({p})")),
                    SubscriptionProtocol::Lambda => {
                        arn_problem(e, "lambda", &["function:"], self.s.region.as_deref(), false)
                            .map(|p| format!("a Lambda function ARN ({p})"))
                    }
                    SubscriptionProtocol::Sms => {
                        let digits = e.strip_prefix('+').unwrap_or_default();
                        (digits.is_empty() || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit()))
                            .then(|| "a phone number in E.164 form, e.g. +15555550100".to_string())
                    }
                };
                if let Some(what) = problem {
                    // The endpoint is not quoted: a webhook URL may carry a token.
                    self.err(
                        &ep,
                        format!("the endpoint of this `{}` subscription must be {what}", s.protocol.as_str()),
                        "",
                    );
                }
                if !seen.insert((s.protocol, e)) {
                    self.err(&ep, "this subscription is listed twice", "");
                }
            }
        }
    }

    /// Where an SNS topic is expected: a topic of the stack by key, or a topic ARN.
    pub(super) fn topic_ref(&mut self, pointer: &str, topic: &str, hint: &str) {
        if topic.starts_with("arn:") {
            if let Some(problem) = arn_problem(topic, "sns", &[], self.s.region.as_deref(), false) {
                self.err(pointer, format!("not an SNS topic ARN: {problem}"), hint);
            }
        } else {
            self.reference(pointer, K::Topic, topic);
        }
    }
}
