"""GA4 BigQuery export adapter."""
