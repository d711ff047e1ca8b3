DROP TABLE monitehooks_instance;
DROP TABLE monitehooks_counts;
DROP TABLE monitehooks_queues;
DROP TABLE monitehooks_attempts;
DROP TABLE monitehooks_deliveries;
DROP TABLE monitehooks_events;
DROP TABLE monitehooks_subscriptions;
