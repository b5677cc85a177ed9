-- params: scope
SELECT scope FROM sync_state WHERE scope = $scope;
