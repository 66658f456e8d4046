//! CloudWatch metric and composite alarms.

use super::{RefOrId, TagMap};
use crate::attributes;
use serde::{Deserialize, Serialize};

attributes! {
    Alarm => pub struct AlarmAttrs {
        /// A plain alarm's metric; none for metric math and anomaly bands (their queries hold it).
        pub namespace: Option<String>,
        pub metric: Option<String>,
        pub statistic: Option<String>,
        /// A set.
        pub dimensions: Vec<Dimension>,
        pub period: Option<i64>,
        /// Sorted by id.
        pub queries: Vec<Query>,
        /// The band query of an anomaly alarm.
        pub threshold_metric: Option<String>,
        pub evaluation_periods: i64,
        pub datapoints_to_alarm: Option<i64>,
        pub threshold: Option<f64>,
        pub comparison: Option<String>,
        pub missing_data: String,
        /// Sets: topics and scaling policies of the stack, or ARNs.
        pub actions: Vec<RefOrId>,
        pub ok_actions: Vec<RefOrId>,
        pub insufficient_data_actions: Vec<RefOrId>,
        pub description: String,
        pub unit: Option<String>,
        pub tags: TagMap,
        /// `OK`, `ALARM` or `INSUFFICIENT_DATA`: read from AWS, never compared.
        #[serde(rename = "_state", default, skip_serializing_if = "Option::is_none")]
        pub state: Option<String>,
    }
}

/// A metric dimension: a load balancer, target group or group of the stack, or a literal value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dimension {
    pub name: String,
    pub value: RefOrId,
}

/// One query of a math or anomaly alarm: an expression, or a metric with its statistic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Query {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<Vec<Dimension>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<i64>,
    #[serde(rename = "return")]
    pub returned: bool,
}

attributes! {
    CompositeAlarm => pub struct CompositeAlarmAttrs {
        /// The rule with the alarms' AWS names, quoted, as AWS keeps it.
        pub rule: String,
        pub actions: Vec<RefOrId>,
        pub ok_actions: Vec<RefOrId>,
        pub insufficient_data_actions: Vec<RefOrId>,
        pub description: String,
        pub tags: TagMap,
        #[serde(rename = "_state", default, skip_serializing_if = "Option::is_none")]
        pub state: Option<String>,
    }
}
