"""What each worker role does with a command, apart from Kafka: the stages of a job."""
