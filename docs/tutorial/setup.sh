mkdir shop-service && cd shop-service
npm init -y && npm pkg set type=module              # ES modules: top-level await, import syntax
npm install ../eventsmith/eventsmith-0.1.0.tgz kafkajs pg   # dependencies: the service imports eventsmith/runtime
npm install --save-dev typescript@5 @types/node@20 @types/pg
