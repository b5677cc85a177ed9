-- params: url
DELETE FROM http_cache WHERE url = $url;
