def test_health_reports_database_ok(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_order_receives_its_fill_over_socket(client, user, place_order, socket_client):
    sio = socket_client(user)
    assert sio.is_connected("/orders")
    order = place_order(user)
    response = client.post(
        f"/orders/{order['orderId']}/trades", json={"executedAmount": "250", "executedPrice": "1.10000"}, headers=user.headers
    )
    assert response.status_code == 201
    names = [event["name"] for event in sio.get_received("/orders")]
    assert names == ["ORDER_CREATED", "TRADE_ADDED", "ORDER_STATUS_CHANGED"]
