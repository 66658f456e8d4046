//! CloudWatch alarms: one metric, metric math or an anomaly band, their dimensions and actions.

use super::*;

impl V<'_> {
    /// Composite alarms: a rule naming alarms of the stack, actions that are SNS topics.
    pub(super) fn composite_alarms(&mut self) {
        for (name, c) in &self.s.composite_alarms {
            let cp = p(&["composite_alarms", name]);
            self.tags(&format!("{cp}/tags"), &c.tags);
            let full = format!("{}-{name}", self.s.stack);
            if full.len() > 255 || self.s.alarms.contains_key(name) {
                let why = if full.len() > 255 {
                    "is longer than 255 characters"
                } else {
                    "is taken by an alarm of the same key"
                };
                self.err_key(&cp, format!("alarm name `{}` {why}", truncate(&full)), "");
            }
            let rp = format!("{cp}/rule");
            let references = c.references();
            if c.rule.trim().is_empty() || c.rule.len() > 10240 || references.is_empty() {
                self.err(
                    &rp,
                    "a rule names at least one alarm, in at most 10240 characters",
                    "e.g. `ALARM(errors) AND ALARM(latency)`",
                );
            }
            for (_, alarm) in &references {
                if alarm == name {
                    self.err(&rp, format!("composite alarm `{name}` names itself"), "");
                } else if !self.exists(K::CompositeAlarm, alarm) {
                    self.reference(&rp, K::Alarm, alarm);
                }
            }
            for (field, list) in [
                ("actions", &c.actions),
                ("ok_actions", &c.ok_actions),
                ("insufficient_data_actions", &c.insufficient_data_actions),
            ] {
                for (i, topic) in list.iter().enumerate() {
                    self.topic_ref(
                        &format!("{cp}/{field}/{i}"),
                        topic,
                        "composite alarms notify; they cannot run scaling policies",
                    );
                }
            }
            if c.description.as_ref().is_some_and(|d| d.chars().count() > 1024) {
                self.err(&format!("{cp}/description"), "a description is at most 1024 characters", "");
            }
        }
    }

    pub(super) fn alarms(&mut self) {
        for (name, al) in &self.s.alarms {
            let ap = p(&["alarms", name]);
            self.tags(&format!("{ap}/tags"), &al.tags);
            let full = format!("{}-{name}", self.s.stack);
            if full.len() > 255 {
                self.err_key(&ap, format!("alarm name `{}` is longer than 255 characters", truncate(&full)), "");
            }
            if !(al.period == 10 || al.period == 30 || (al.period >= 60 && al.period % 60 == 0)) {
                self.err(
                    &format!("{ap}/period"),
                    format!("a period of {} s is not allowed", al.period),
                    "10, 30, or a multiple of 60 seconds",
                );
            }
            let window = al.period as u64 * al.evaluation_periods as u64;
            let limit = if al.period >= 3600 { 7 * 86_400 } else { 86_400 };
            if window > limit {
                self.err(
                    &format!("{ap}/evaluation_periods"),
                    format!("period × evaluation_periods is {window} s; the limit is {limit} s"),
                    "",
                );
            }
            if let Some(d) = al.datapoints_to_alarm
                && d > al.evaluation_periods
            {
                self.err(
                    &format!("{ap}/datapoints_to_alarm"),
                    format!("datapoints_to_alarm ({d}) exceeds evaluation_periods ({})", al.evaluation_periods),
                    "the alarm could never fire",
                );
            }
            if let Some(stat) = &al.statistic
                && !is_statistic(stat)
            {
                self.err(
                    &format!("{ap}/statistic"),
                    format!("`{stat}` is not a statistic"),
                    "Average, Sum, Minimum, Maximum, SampleCount, or a percentile such as p99 or p99.9",
                );
            }
            self.alarm_watches(&ap, name, al);
            for (field, list) in [
                ("actions", &al.actions),
                ("ok_actions", &al.ok_actions),
                ("insufficient_data_actions", &al.insufficient_data_actions),
            ] {
                for (i, act) in list.iter().enumerate() {
                    let actp = format!("{ap}/{field}/{i}");
                    if act.starts_with("arn:") {
                        let region = self.s.region.as_deref();
                        let service = act.split(':').nth(2).unwrap_or_default();
                        let problem = match service {
                            "sns" => arn_problem(act, "sns", &[], region, false),
                            "autoscaling" => arn_problem(act, "autoscaling", &["scalingPolicy:"], region, false),
                            // `arn:aws:automate:REGION:ec2:stop` and friends carry no account.
                            "automate" => {
                                act.split(':').nth(4).is_none_or(|p| p != "ec2").then(|| "EC2 actions look like `arn:aws:automate:REGION:ec2:stop`".to_string())
                            }
                            "ssm" | "ssm-incidents" => None,
                            _ => Some("an alarm acts through an SNS topic, a scaling policy, an EC2 action or Systems Manager".into()),
                        };
                        if let Some(why) = problem {
                            self.err(
                                &actp,
                                format!("`{}` is not an alarm action ARN: {why}", truncate(act)),
                                "an SNS topic ARN, or a scaling policy of this stack by key",
                            );
                        }
                    } else if self.s.topics.contains_key(act) {
                        // A topic of the stack, by key.
                    } else if self.reference(&actp, K::ScalingPolicy, act)
                        && let Some(pol) = self.s.scaling_policies.get(act)
                        && (pol.target_tracking.is_some() || pol.predictive.is_some())
                    {
                        let kind = if pol.target_tracking.is_some() { "target tracking" } else { "predictive" };
                        self.err(
                            &actp,
                            format!("`{act}` is a {kind} policy, which alarms cannot trigger"),
                            "target tracking creates and manages its own alarms; alarms trigger step and simple policies",
                        );
                    }
                }
            }
        }
    }

    /// What an alarm watches: one metric (against a threshold or an anomaly band), or metric math
    /// over named metrics.
    pub(super) fn alarm_watches(&mut self, ap: &str, name: &str, al: &Alarm) {
        match (&al.metric, &al.expression) {
            (Some(_), Some(_)) => self.err_key(
                ap,
                format!("alarm `{name}` has both `metric` and `expression`"),
                "watch one metric, or an expression over `metrics`",
            ),
            (None, None) => self.err_key(ap, format!("alarm `{name}` needs a `metric` or an `expression`"), ""),
            _ => {}
        }
        if let Some(metric) = &al.metric {
            self.alarm_metric(ap, name, metric, &al.namespace, &al.dimensions);
        }
        if al.expression.is_none() && !al.metrics.is_empty() {
            self.err(
                &format!("{ap}/metrics"),
                "`metrics` are the inputs of an `expression`",
                "add `expression`, e.g. `100 * errors / requests`",
            );
        }
        if let Some(expression) = &al.expression {
            if al.metrics.is_empty() {
                self.err(
                    &format!("{ap}/expression"),
                    "an expression needs the `metrics` it names",
                    "e.g. `metrics: {errors: {metric: HTTPCode_Target_5XX_Count, statistic: Sum, dimensions: {load_balancer: web}}}`",
                );
            }
            if expression.is_empty() || expression.len() > 1024 {
                self.err(&format!("{ap}/expression"), "an expression is 1 to 1024 characters", "");
            }
            for (id, m) in &al.metrics {
                let mp = format!("{ap}/metrics/{}", escape(id));
                let valid = id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                    && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && id.len() <= 255;
                if !valid || id == EXPRESSION_QUERY {
                    self.err_key(
                        &mp,
                        format!("`{id}` cannot name a metric"),
                        "a lowercase letter first, then letters, digits and `_` (and not `expression`)",
                    );
                }
                if !expression.contains(id.as_str()) {
                    self.warn_key(
                        &mp,
                        format!("the expression does not use metric `{id}`"),
                        "remove it, or use it in `expression`",
                    );
                }
                if let Some(stat) = &m.statistic
                    && !is_statistic(stat)
                {
                    self.err(
                        &format!("{mp}/statistic"),
                        format!("`{stat}` is not a statistic"),
                        "Average, Sum, Minimum, Maximum, SampleCount, or a percentile such as p99",
                    );
                }
                if let Some(period) = m.period
                    && !(period == 10 || period == 30 || (period >= 60 && period % 60 == 0))
                {
                    self.err(
                        &format!("{mp}/period"),
                        format!("a period of {period} s is not allowed"),
                        "10, 30, or a multiple of 60 seconds",
                    );
                }
                self.alarm_metric(&mp, name, &m.metric, &m.namespace, &m.dimensions);
            }
        }
        match (al.anomaly_band, al.threshold, al.comparison.is_band()) {
            (Some(_), _, _) if al.expression.is_some() => self.err(
                &format!("{ap}/anomaly_band"),
                "an anomaly band is drawn around `metric`, not an expression",
                "",
            ),
            (Some(band), threshold, is_band) => {
                if !(band > 0.0 && band.is_finite()) {
                    self.err(
                        &format!("{ap}/anomaly_band"),
                        "the band is a positive number of standard deviations",
                        "2 is a common start",
                    );
                }
                if threshold.is_some() {
                    self.err(
                        &format!("{ap}/threshold"),
                        "an anomaly alarm compares with its band, not a threshold",
                        "remove `threshold`",
                    );
                }
                if !is_band {
                    self.err(
                        &format!("{ap}/comparison"),
                        "an anomaly alarm's comparison is `outside`, `above` or `below` the band",
                        "",
                    );
                }
            }
            (None, None, _) => self.err_key(
                ap,
                format!("alarm `{name}` needs a `threshold`"),
                "or an `anomaly_band` around its metric",
            ),
            (None, Some(_), true) => self.err(
                &format!("{ap}/comparison"),
                "`outside`, `above` and `below` compare with an `anomaly_band`",
                "use `>`, `>=`, `<` or `<=` with a threshold",
            ),
            (None, Some(_), false) => {}
        }
    }

    /// One metric an alarm watches: its dimensions, and a namespace that can be derived.
    pub(super) fn alarm_metric(
        &mut self,
        ap: &str,
        name: &str,
        metric: &str,
        namespace: &Option<String>,
        d: &AlarmDimensions,
    ) {
        let dp = format!("{ap}/dimensions");
        if let Some(lb) = &d.load_balancer {
            self.reference(&format!("{dp}/load_balancer"), K::LoadBalancer, lb);
        }
        if let Some(tg) = &d.target_group {
            self.reference(&format!("{dp}/target_group"), K::TargetGroup, tg);
            if d.load_balancer.is_none() {
                self.err(
                    &format!("{dp}/target_group"),
                    "a `target_group` dimension needs `load_balancer` too",
                    "load balancer metrics per target group carry both dimensions",
                );
            }
        }
        if let Some(g) = &d.autoscaling_group {
            self.reference(&format!("{dp}/autoscaling_group"), K::AutoScalingGroup, g);
            if let Some(group) = self.s.autoscaling_groups.get(g)
                && GROUP_METRICS.contains(&metric)
                && namespace.as_deref().is_none_or(|n| n == "AWS/AutoScaling")
                && !group.collected_metrics().contains(&metric)
            {
                self.warn_key(
                    &format!("{ap}/metric"),
                    format!("group `{g}` does not collect {metric}, so alarm `{name}` never gets data"),
                    format!("add `metrics: all` (or `[{metric}]`) to autoscaling_groups.{g}"),
                );
            }
        }
        if namespace.is_none() && d.load_balancer.is_none() && d.autoscaling_group.is_none() {
            self.err_key(
                ap,
                format!("alarm `{name}` needs a `namespace` for {metric}"),
                "it cannot be derived without a load_balancer or autoscaling_group dimension",
            );
        }
    }
}
