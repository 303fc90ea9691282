npx tsc                                       # src/ → dist/, strict
npx eventsmith dev -- node dist/service.js    # a throwaway PostgreSQL and Kafka, then the service
