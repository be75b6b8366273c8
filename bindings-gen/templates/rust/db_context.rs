impl __sdk::DbContext for {{ name }} {
    type DbView = RemoteTables;
    type Reducers = RemoteReducers;
    type SubscriptionBuilder = SubscriptionBuilder;

    fn db(&self) -> &RemoteTables {
        &self.db
    }
    fn reducers(&self) -> &RemoteReducers {
        &self.reducers
    }
    fn is_active(&self) -> bool {
        self.imp.is_active()
    }
    fn disconnect(&self) -> __sdk::Result<()> {
        self.imp.disconnect()
    }
    fn subscription_builder(&self) -> SubscriptionBuilder {
        __sdk::SubscriptionBuilder::new(&self.imp)
    }
    fn try_identity(&self) -> Option<__sdk::Identity> {
        self.imp.try_identity()
    }
    fn connection_id(&self) -> __sdk::ConnectionId {
        self.imp.connection_id()
    }
}
