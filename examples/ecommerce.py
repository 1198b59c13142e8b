from locust import HttpUser, task, between

class EcommerceUser(HttpUser):
    wait_time = between(2, 10)
    host = "http://localhost:8080"

    @task
    def browse_and_add_to_cart(self):
        with self.client.get("/products", catch_response=True) as response:
            if response.status_code == 200 and response.text:
                product_id = response.json()[0]['id']
                with self.client.post(f"/cart/add/{product_id}", json={"quantity": 1}, catch_response=True) as add_response:
                    if add_response.status_code != 201:
                        add_response.failure(f"Failed to add to cart: {add_response.status_code}")

    @task(2)
    def view_product_details(self):
        with self.client.get("/products/123", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"Failed to view product details: {response.status_code}")
