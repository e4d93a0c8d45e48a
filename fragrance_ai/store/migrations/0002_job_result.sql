-- What a non-formulation job produced (a training run's outcome), as the API shows it.

ALTER TABLE jobs ADD COLUMN result jsonb;
